from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jointreview.middleware import stamp_session


def healthz(request):
    """Readiness for the load balancer and compose, naming each dependency; no login, no data:
    ``{"status": "ok"|"degraded"|"down", "database": "ok"|"down", "broker": "ok"|"down"}``. The database is
    needed to serve (down: 503, take this node out); the broker is not in the request path (down: 200
    "degraded": pages work, the sweeps publish what waits once it is back). Both probes are bounded: the
    database's connect_timeout (JR_DB_CONNECT_TIMEOUT, 2 s), the broker's 0.5 s."""
    database = "ok" if _database_answers() else "down"
    broker = "ok" if _broker_answers() else "down"
    if database == "down":
        status, code = "down", 503
    else:
        status, code = ("ok" if broker == "ok" else "degraded"), 200
    return JsonResponse({"status": status, "database": database, "broker": broker}, status=code)


def _database_answers() -> bool:
    from django.db import DatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _broker_answers() -> bool:
    import redis
    from django.conf import settings

    try:
        return bool(redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=0.5,
                                         socket_timeout=0.5).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


@login_required
def home(request):
    return render(request, "common/home.html", {})


def forbidden(message: str) -> HttpResponse:
    return HttpResponse(message, status=403)


def safe_next(request, fallback: str) -> str:
    """The ``next`` of the request (POST, else GET) if it stays on this site, else ``fallback``.

    The one place every "go back to" URL is checked: a path of this site or an absolute URL with this
    host (https only when the request came over https). ``//evil.example``, ``https://evil.example/``,
    ``javascript:...`` and the like give the fallback."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


class LoginView(auth_views.LoginView):
    """Django's login page, its ``next`` checked by ``safe_next`` (as every other one)."""

    def get_redirect_url(self):
        return safe_next(self.request, "")


class LogoutView(auth_views.LogoutView):
    def get_redirect_url(self):
        return safe_next(self.request, "")


@never_cache
@require_POST
@login_required
def keepalive(request):
    """The session-timeout banner's "stay signed in": renews the session now (IdleSessionMiddleware would
    wait for its interval)."""
    stamp_session(request.session)
    return HttpResponse(status=204)
