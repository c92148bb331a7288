"""Production: every secret from the environment; passes `manage.py check --deploy`."""
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEV_SECRET_KEY
from .env import env_bool, env_database, env_int, env_str

# A try-out (JR_TRYOUT=true, e.g. `JR_TRYOUT=true docker compose up` on a laptop) may run with the built-in
# key; anything else needs a real one. A refusal is one line naming SECRET_KEY (manage.py exits 2; in
# compose the web service's `migrate` is the first to say it, so web never becomes healthy and worker
# and beat never start).
JR_TRYOUT = env_bool("JR_TRYOUT", False)
SECRET_KEY_MIN_LENGTH = 50
PLACEHOLDER_SECRET_KEYS = {
    DEV_SECRET_KEY,
    "insecure-compose-default-change-me",  # the default the compose file had before JR_TRYOUT
    "collectstatic-at-build-only",  # the Dockerfile's, for collectstatic only
    "change-me", "changeme", "secret", "please-change-me", "your-secret-key", "django-insecure",
}


def _checked_secret_key() -> str:
    key = env_str("SECRET_KEY", "").strip()
    if JR_TRYOUT:
        return key or DEV_SECRET_KEY
    if not key:
        raise ImproperlyConfigured("SECRET_KEY: this setting is required and is not set "
                                   "(for a local try-out only, set JR_TRYOUT=true)")
    if key in PLACEHOLDER_SECRET_KEYS or key.startswith("django-insecure-"):
        raise ImproperlyConfigured("SECRET_KEY: this is a published placeholder key; set a random one of "
                                   f"{SECRET_KEY_MIN_LENGTH}+ characters (for a local try-out only, set JR_TRYOUT=true)")
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < 5:
        raise ImproperlyConfigured(f"SECRET_KEY: too short or too simple ({len(key)} characters); set a random "
                                   f"one of {SECRET_KEY_MIN_LENGTH}+ characters (for a local try-out only, set "
                                   "JR_TRYOUT=true)")
    return key


SECRET_KEY = _checked_secret_key()
DEBUG = env_bool("DEBUG", False)
DATABASES = {"default": env_database("DATABASE_URL")}
# connections kept open between requests (one per gunicorn thread, gunicorn.conf.py), checked before reuse so
# a connection the server closed (a restart, an idle timeout) costs a reconnect, never an error
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
STORAGES = {  # noqa: F405
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"  # inline PDF previews opt in per view with @xframe_options_sameorigin
