"""The production settings as bench/load.py serves them on loopback: plain HTTP (no TLS redirect, cookies
without the Secure flag, no HSTS) and static files without the collectstatic manifest. Nothing else differs."""
from jointreview.settings.production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
