"""A database outage answers 503 with a retry hint, never a traceback or a bare "Server Error (500)".

While PostgreSQL refuses connections (or drops them), any request may fail wherever it first touches
the database: in a middleware before the view (the session, ``request.user``, the user's language, the
login lockout), in the view, or in a middleware on the way out (the session's save). Django turns an
exception anywhere in that chain into the 500 handler's response, layer by layer, so three places
together make every such answer the same 503:

- ``DatabaseOutageMiddleware.process_exception``: a view's database error (before the 500 logging);
- ``server_error`` (``handler500`` in ``jointreview/urls.py``): an error in a middleware, or anywhere
  else Django called the 500 handler for, is a 503 when it is a database error (else our 500 page);
- ``DatabaseOutageMiddleware.__call__`` (outside every middleware that touches the database): once any
  of the above marked the request, the final answer is the outage answer, whatever an outer layer made
  of it.

The answer: ``503`` with ``Retry-After: RETRY_AFTER_SECONDS``; under ``/api/`` the API's error body
(``{"code": "service_unavailable", "message", "fields": {}}``, jointreview/api/errors.py), else the page
``templates/503.html`` rendered without the request's context (no context processor, no session, no
user: nothing that needs the database), in the language of the language cookie or Accept-Language.
"""
from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.csrf import requires_csrf_token

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
_MARK = "_jr_database_outage"


def is_database_outage(exc: BaseException | None) -> bool:
    """``exc`` (or what caused it) is a database that cannot be reached or dropped the connection."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, DATABASE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _language(request) -> str:
    # the cookie or Accept-Language only: the user's own choice (User.language) needs the database
    return translation.get_language_from_request(request, check_path=False)


def outage_response(request) -> HttpResponse:
    setattr(request, _MARK, True)
    with translation.override(_language(request)):
        if request.path.startswith("/api/"):
            from jointreview.api.errors import error_body

            response = JsonResponse(error_body(
                gettext("The service is temporarily unavailable: the database cannot be reached. "
                        "Please try again in a moment."), code="service_unavailable"), status=503)
        else:
            html = render_to_string("503.html", {
                "CENTRE_NAME": settings.JR_CENTRE_NAME, "LANGUAGE_CHOICES": settings.LANGUAGES,
                "retry_after": RETRY_AFTER_SECONDS})
            response = HttpResponse(html, status=503)
        response["Content-Language"] = translation.get_language()
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except DATABASE_ERRORS:  # only if something let it through Django's own conversion
            log.warning("database unavailable: %s %s answered 503", request.method, request.path, exc_info=True)
            return outage_response(request)
        if getattr(request, _MARK, False) and response.status_code != 503:
            return outage_response(request)
        return response

    def process_exception(self, request, exception):
        if is_database_outage(exception):
            log.warning("database unavailable: %s %s answered 503 (%s)", request.method, request.path,
                        exception.__class__.__name__)
            return outage_response(request)
        return None


@requires_csrf_token
def server_error(request, template_name: str = "500.html"):
    """``handler500``: a database outage is a 503 (see the module's docstring); anything else our 500 page,
    rendered without the request's context too (the error may be in what the context needs)."""
    if is_database_outage(sys.exc_info()[1]):
        return outage_response(request)
    with translation.override(_language(request)):
        html = render_to_string(template_name, {"CENTRE_NAME": settings.JR_CENTRE_NAME,
                                                "LANGUAGE_CHOICES": settings.LANGUAGES})
    return HttpResponseServerError(html)
