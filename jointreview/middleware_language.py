"""The page language (issue 9): Simplified Chinese by default, English on request, remembered per user.

- ``UserLanguageMiddleware`` (after ``AuthenticationMiddleware``): a signed-in user who chose a language
  (``User.language``) gets it, whatever the browser's Accept-Language or the language cookie say;
  everyone else gets what Django's ``LocaleMiddleware`` picked (the cookie, then Accept-Language, then
  ``LANGUAGE_CODE``). It also keeps the language cookie in step with the user's choice, so the login page
  after logging out speaks the language of the person who just left.
- ``set_language`` (``POST /accounts/language/``, the header's switch in ``templates/base.html``): checks
  the code against ``settings.LANGUAGES`` (400 with a message otherwise), stores it on the signed-in user
  and in the language cookie, and goes back to ``next`` when that stays on this site (else the home
  page). Not an audit event: the choice is a display preference of the person, not a state of the
  review process, and nobody else sees it.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jointreview.views.common import safe_next


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _set_cookie(response, code: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code,
        max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _user_language(request) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    code = getattr(user, "language", "") or ""
    return code if code in language_codes() else ""


class UserLanguageMiddleware:
    """Activates the signed-in user's own language. Put it after ``AuthenticationMiddleware`` (it reads
    ``request.user``) and after ``LocaleMiddleware``, whose choice it overrides; ``LocaleMiddleware``'s
    response half then sends ``Content-Language`` for the language actually used."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = _user_language(request)
        if code:
            translation.activate(code)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        # the user may have changed while the request ran (login, logout, a new choice): look again
        code = _user_language(request)
        if code and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != code \
                and settings.LANGUAGE_COOKIE_NAME not in response.cookies:
            _set_cookie(response, code)
        return response


def _bad_request(request, message: str, fields: dict[str, list[str]]) -> HttpResponse:
    html = render_to_string("400.html", {"message": message, "fields": fields}, request=request)
    return HttpResponse(html, status=400)


@never_cache
@require_POST
def set_language(request):
    code = request.POST.get("language", "")
    if code not in language_codes():
        choices = ", ".join(f"{c} ({name})" for c, name in settings.LANGUAGES)
        problem = gettext("Choose one of: %(choices)s.") % {"choices": choices}
        return _bad_request(request, gettext("Unknown language “%(code)s”. %(problem)s") % {
            "code": code[:20], "problem": problem}, {"language": [problem]})
    user = request.user
    if user.is_authenticated and user.language != code:
        # a preference of the person, not a change of the process: no service, no audit event
        get_user_model().objects.filter(pk=user.pk).update(language=code)
        user.language = code
    # an off-site (or missing) next is not followed: the home page
    response = HttpResponseRedirect(safe_next(request, reverse("home")))
    _set_cookie(response, code)
    translation.activate(code)
    return response
