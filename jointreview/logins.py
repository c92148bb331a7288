"""Login throttling glue for django-axes (settings in settings/base.py): the client address, the
lockout page, and the audit of a lockout. The writes are in jointreview/services/logins.py."""
from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers


def client_ip(request) -> str:
    """The client's address: the connection's, or behind JR_TRUSTED_PROXY_COUNT proxies the entry of
    X-Forwarded-For that the nearest trusted proxy wrote (as Django REST framework's NUM_PROXIES does)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.JR_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            return forwarded[-min(proxies, len(forwarded))]
    return remote


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the lockout page, in the site layout, HTTP 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(request, "registration/lockout.html",
                      {"cooloff_minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
                      status=settings.AXES_HTTP_RESPONSE_CODE)
    add_never_cache_headers(response)  # as the login page it replaces
    return response


def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """Receiver of axes' ``user_locked_out`` (connected in apps.py)."""
    from jointreview.accounts.logins import login_lockout_record

    login_lockout_record(username=username, ip_address=ip_address)
