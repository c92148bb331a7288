"""pytest: PostgreSQL and Redis (real ones; see `make test`)."""
import os
from pathlib import Path

from .base import *  # noqa: F403
from .env import env_database

DATABASES = {"default": env_database("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointreview")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# one media directory per xdist worker (renders store at one path per document number, and test databases
# reuse numbers), or the one a test names for itself and the worker processes it starts
MEDIA_ROOT = Path(os.environ.get("JR_TEST_MEDIA_ROOT")  # noqa: F405
                  or VAR_DIR / f"test-media-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")  # noqa: F405
STORAGES = {  # noqa: F405
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
