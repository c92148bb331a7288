"""Demo and local development: SQLite by default, DEBUG on unless said otherwise."""
from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DEBUG", True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
VAR_DIR.mkdir(exist_ok=True)  # noqa: F405
