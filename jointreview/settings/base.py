"""Settings shared by every mode. Every value a deployment changes comes from the environment."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_database, env_int, env_list, env_rate, env_redis, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

# The built-in key of the demo and the tests; production refuses it unless JR_TRYOUT is on.
DEV_SECRET_KEY = "insecure-dev-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "jointreview.admin_site.CentreAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",  # API tokens, issued and revoked by the centre admin in the admin
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, never a CDN
    "guardian",
    "django_celery_beat",
    "axes",  # before jointreview: jointreview/admin.py replaces axes' AccessAttempt admin
    "csp",
    "projects",
    "jointreview",
]

MIDDLEWARE = [
    # outermost: a request id for every response and log line (jointreview/observability.py), then the
    # database outage's 503 around everything that may touch the database (jointreview/outage.py)
    "jointreview.observability.RequestIdMiddleware",
    "jointreview.outage.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # every response, static files included
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # after authentication and LocaleMiddleware: a signed-in user's own language (User.language) wins
    # over the cookie and Accept-Language (issue 9)
    "jointreview.middleware_language.UserLanguageMiddleware",
    # after authentication (it reads request.user, which DRF also sets for token requests) and so
    # outside every middleware below it: their responses get the header too
    "jointreview.middleware.PrivateCacheMiddleware",
    "jointreview.middleware.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "jointreview.middleware_input.InputGuardMiddleware",  # control characters -> 400 (issue 8)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes documents: turns a lockout into the lockout page
]

ROOT_URLCONF = "jointreview.urls"
WSGI_APPLICATION = "jointreview.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jointreview.context_processors.site",
                "jointreview.notifications.context_processors.unread",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'demo.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "projects.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out user or address before the password check
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
    "jointreview.auth.CentreAdminBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; public pages need no permission
GUARDIAN_USER_OBJ_PERMS_MODEL = "guardian.UserObjectPermission"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: a signed-in user's session ends JR_SESSION_IDLE_MINUTES after their last request.
# jointreview.middleware.IdleSessionMiddleware pushes the expiry back at most once a minute (rather than
# SESSION_SAVE_EVERY_REQUEST, which writes the session row on every request), so the session lives the
# idle time plus at most that minute; Django refuses an expired session on the server. base.html warns
# JR_SESSION_WARN_SECONDS before the end (static/js/session-timeout.js).
JR_SESSION_IDLE_MINUTES = env_int("JR_SESSION_IDLE_MINUTES", 30, minimum=1)
JR_SESSION_IDLE_SECONDS = JR_SESSION_IDLE_MINUTES * 60  # what the page counts down from
JR_SESSION_RENEW_SECONDS = 60
JR_SESSION_WARN_SECONDS = 120
SESSION_COOKIE_AGE = JR_SESSION_IDLE_SECONDS + JR_SESSION_RENEW_SECONDS

# Behind a reverse proxy, the number of proxies whose X-Forwarded-For entry is trusted (0: use the
# address of the connection). Both the login lockout and the API throttles count per client address.
JR_TRUSTED_PROXY_COUNT = env_int("JR_TRUSTED_PROXY_COUNT", 0, minimum=0)

# Login throttling (django-axes, database handler). Either limit locks out on its own: N failures for
# one username from any address, or N failures from one address for any usernames. A lockout lasts
# JR_LOGIN_COOLOFF_MINUTES after the last failure (a failure during the lockout starts it again), or
# until a centre admin lifts it (admin: Axes → Access attempts, action "Lift the lockout").
AXES_FAILURE_LIMIT = env_int("JR_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("JR_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "jointreview.logins.lockout_response"  # templates/registration/lockout.html
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "jointreview.logins.client_ip"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
# English message ids; the zh-Hans catalogue (locale/zh_Hans/LC_MESSAGES/django.po, compiled .mo committed)
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]  # each in its own language: the header's switch shows them
# the header's language switch (jointreview/middleware_language.py) remembers the choice per user
# (User.language) and, for the login page, in this cookie for a year (not a browser-session cookie)
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# dates on the pages: templates use SHORT_DATE_FORMAT / SHORT_DATETIME_FORMAT, defined per language here
# (jointreview/formats/<locale>/formats.py), everything else from Django's locale formats
FORMAT_MODULE_PATH = ["jointreview.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"  # never served directly: downloads go through permission-checked views
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Mail
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "jointreview@localhost")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# Celery (docs/architecture.md §4)
REDIS_URL = env_redis("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Queues (docs/operations.md): a burst of PDF rendering never delays the fan-out's notifications.
# Tasks are routed by name here, and only here (services send by name: routes apply to send_task too);
# docker-compose.yml runs a worker per queue group, `make demo` one worker for all of them.
CELERY_TASK_DEFAULT_QUEUE = "default"
JR_TASK_QUEUES = ("default", "fanout", "documents", "sweeps")
CELERY_TASK_ROUTES = {
    "jointreview.notify_assignment": {"queue": "fanout"},
    "jointreview.noop": {"queue": "fanout"},  # the fan-out benchmark's baseline runs where the fan-out runs
    "jointreview.render_issued_document": {"queue": "documents"},
    "jointreview.consolidate_round": {"queue": "documents"},  # builds the joint notice and renders its PDF
    "jointreview.calendar_recompute": {"queue": "default"},
    "jointreview.ping": {"queue": "default"},
    "jointreview.clock_sweep": {"queue": "sweeps"},
    "jointreview.calendar_missing_year_check": {"queue": "sweeps"},
    "jointreview.fanout_sweep": {"queue": "sweeps"},
    "jointreview.consolidation_sweep": {"queue": "sweeps"},
    "jointreview.notification_email_sweep": {"queue": "sweeps"},
    "jointreview.escalation_sweep": {"queue": "sweeps"},
    "jointreview.render_sweep": {"queue": "sweeps"},
    "jointreview.orphan_file_sweep": {"queue": "sweeps"},
}

# REST API
# Session (the site's own pages) and Token ("Authorization: Token <key>"; tokens are issued by the
# centre admin in the admin). No Basic authentication: a password is never sent with API calls.
# Throttle counters live in Django's default cache, which is LocMemCache here (no CACHES setting): per
# process, so with gunicorn's N workers a client may get up to N times the rate before a 429, and a
# restart forgets the counters. Good enough against a runaway script; not a shared quota.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("JR_API_THROTTLE_ANON", "60/min"),
        "user": env_rate("JR_API_THROTTLE_USER", "600/min"),
    },
    "NUM_PROXIES": JR_TRUSTED_PROXY_COUNT,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # one error body for every API error: {"code", "message", "fields"} (jointreview/api/errors.py)
    "EXCEPTION_HANDLER": "jointreview.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "jointreview API",
    "DESCRIPTION": "Joint review of construction projects (工程建设项目联合审查)",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],  # the schema needs a login
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Content Security Policy (django-csp 4): our pages load scripts, styles and images from this site
# only; no inline script or style, no eval, no plugins, never framed. The Django admin (5.2) lives with
# it unchanged, so /admin/ is not relaxed. Two responses add one source each: the API docs page
# (SpectacularSwaggerSplitView + templates/api/swagger_ui.html) img-src data: for Swagger UI's icons
# (jointreview/urls.py), and a stored PDF shown inline object-src 'self' for the browser's PDF viewer
# (jointreview/views/files.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The centre's rules (docs/domain.md: local examples become configuration)
# the centre's total target, filing (核准/备案) to 施工许可, in working days of government time; the catalogue's
# stage 1-3 caps must fit inside it (StageCap.clean)
JR_TOTAL_TARGET_DAYS = env_int("JR_TOTAL_TARGET_DAYS", 40)
# a project budget is yellow when a stage or the whole, still open, has at most this many working days left of
# its cap or of the target (red: projected or actual over it)
JR_BUDGET_YELLOW_DAYS = env_int("JR_BUDGET_YELLOW_DAYS", 5)
# the catalogue item whose approval ends the filing-to-permit timeline (施工许可证)
JR_TIMELINE_END_ITEM = env_str("JR_TIMELINE_END_ITEM", "construction-permit")
JR_WARN_DAYS = env_int("JR_WARN_DAYS", 3)
JR_WARN_PERCENT = env_int("JR_WARN_PERCENT", 20)
# 电子监察 (jointreview/supervision): the escalation sweep's beat interval; a running clock overdue by this
# many working days goes to the centre leader; working days an addressee has to answer a supervision
# record before it escalates one level; the days a clock extension adds (行政许可法 §42)
JR_ESCALATION_SWEEP_MINUTES = env_int("JR_ESCALATION_SWEEP_MINUTES", 15, minimum=1)
JR_ESCALATION_LEADER_DAYS = env_int("JR_ESCALATION_LEADER_DAYS", 3, minimum=1)
JR_SUPERVISION_RESPONSE_DAYS = env_int("JR_SUPERVISION_RESPONSE_DAYS", 2, minimum=1)
JR_EXTENSION_DAYS = env_int("JR_EXTENSION_DAYS", 10, minimum=1)
JR_UPLOAD_MAX_BYTES = env_int("JR_UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
JR_CENTRE_NAME = env_str("JR_CENTRE_NAME", "示范市政务服务中心")
JR_FANOUT_MAX_ATTEMPTS = env_int("JR_FANOUT_MAX_ATTEMPTS", 10)
# the orphan file sweep deletes stored files no row refers to once they are this old (jointreview/services/media.py)
JR_ORPHAN_FILE_MINUTES = env_int("JR_ORPHAN_FILE_MINUTES", 60, minimum=10)
# the longest clock pause a reviewer may request, in working days (1 .. 32767)
JR_PAUSE_MAX_DAYS = env_int("JR_PAUSE_MAX_DAYS", 60)
if not 1 <= JR_PAUSE_MAX_DAYS <= 32767:
    raise ImproperlyConfigured(f"JR_PAUSE_MAX_DAYS: expected 1 .. 32767 working days, got {JR_PAUSE_MAX_DAYS}")
# where the public verification page (/verify/<code>) printed on issued documents is reached
JR_PUBLIC_BASE_URL = env_str("JR_PUBLIC_BASE_URL", "") or "http://127.0.0.1:8000"

# Every log line carries the request id (``-`` outside a request or a task it enqueued) and, in a worker,
# the task id (jointreview/observability.py). LOG_FORMAT=json: one JSON object per line, for a log
# collector; plain (the default) keeps the demo readable.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT: expected plain or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "jointreview.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"},
        "json": {"()": "jointreview.observability.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
