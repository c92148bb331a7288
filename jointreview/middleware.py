"""Site-wide response policies that no single view should have to remember."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import timezone
from django.utils.cache import patch_cache_control


class PrivateCacheMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user: pages, API answers
    (session or token: DRF sets ``request.user`` on the Django request too) and file downloads, so that
    neither a shared proxy nor the browser's disk cache keeps a copy of someone's case files. Responses
    to anonymous users (the login page, /verify/, the health check) are left alone; static files never
    get here (WhiteNoise answers them earlier)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)  # "private" replaces a "public"
        return response


RENEWED_KEY = "_jr_renewed"  # session key: when (epoch seconds) the session's expiry was last pushed back


def stamp_session(session) -> None:
    """Renew the session now: a fresh expiry (SESSION_COOKIE_AGE from now) when the response is sent."""
    session[RENEWED_KEY] = int(timezone.now().timestamp())


def stamp_on_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver (apps.py): login saves the session anyway, so it starts stamped."""
    if getattr(request, "session", None) is not None:
        stamp_session(request.session)


class IdleSessionMiddleware:
    """Idle timeout: a signed-in user's session ends JR_SESSION_IDLE_MINUTES after their last request.

    The session (database row and cookie) expires SESSION_COOKIE_AGE after it was last saved, and Django
    never loads an expired one, so the server enforces the end. This middleware pushes the expiry back
    by marking the session modified, but at most once per JR_SESSION_RENEW_SECONDS: a read-only page
    stays read-only (no session write on every request, as SESSION_SAVE_EVERY_REQUEST would do), and
    SESSION_COOKIE_AGE is the idle time plus that interval, so nobody gets less than the promised idle
    time (at most one interval more)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # a session that signs someone in (not a token request's empty session: it must stay unsaved)
        if session is not None and session.get(SESSION_KEY) is not None and not session.modified:
            last = session.get(RENEWED_KEY, 0)
            if timezone.now().timestamp() - last >= settings.JR_SESSION_RENEW_SECONDS:
                stamp_session(session)
        return response
