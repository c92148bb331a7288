"""pytest: PostgreSQL and Redis (real ones; see `make test`)."""
from .base import *  # noqa: F403
from .env import env_database

DATABASES = {"default": env_database("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointreview")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
STORAGES = {  # noqa: F405
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
