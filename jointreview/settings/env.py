"""Reading settings from the environment, with errors that name the variable."""
from __future__ import annotations

import os
import re

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"{name}: this setting is required and is not set")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    low = raw.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: expected true/false, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected an integer, got {raw!r}")
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}: expected an integer of at least {minimum}, got {raw!r}")
    return value


_RATE = re.compile(r"^[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)$")


def env_rate(name: str, default: str) -> str:
    """A Django REST framework throttle rate: requests/period, e.g. 600/min, 10/s, 5000/day."""
    value = os.environ.get(name, "").strip() or default
    if not _RATE.match(value):
        raise ImproperlyConfigured(f"{name}: expected a rate like 600/min (per s, min, hour or day), got {value!r}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


_ENGINES = {
    "django.db.backends.postgresql",
    "django.db.backends.sqlite3",
}


def env_database(name: str = "DATABASE_URL", default: str | None = None) -> dict:
    url = env_str(name, default)
    try:
        config = dj_database_url.parse(url, conn_max_age=0)
    except Exception as exc:  # dj-database-url raises several types for bad URLs
        raise ImproperlyConfigured(f"{name}: cannot parse {url!r} ({exc})")
    if config.get("ENGINE") not in _ENGINES:
        raise ImproperlyConfigured(
            f"{name}: unsupported database {url.split(':', 1)[0]!r}; use postgres://... or sqlite:///..."
        )
    if config["ENGINE"].endswith("postgresql") and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}: the URL {url!r} names no database")
    if config["ENGINE"].endswith("postgresql"):
        # a database that does not answer is given up on quickly (a request gets its 503, /healthz/ answers
        # within ~2 s) instead of after the TCP timeout (docs/operations.md)
        options = config.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", env_int("JR_DB_CONNECT_TIMEOUT", 2, minimum=1))
        # the planner's cost of a random page read: PostgreSQL's default (4) is for spinning disks; on SSD or
        # with the working set in memory, 1.1 lets it pick the index lookups it should (a page's rows by
        # their keys, not a scan of the whole table): docs/operations.md
        options.setdefault("options", f"-c random_page_cost={_page_cost()}")
        # parameters bound on the server, and a statement run this many times on a connection kept
        # prepared there (psycopg 3): the same statements every request runs (an accept's inserts, a
        # page's queries) are no longer parsed and planned each time. Not through PgBouncer in
        # transaction mode; JR_DB_PREPARE_THRESHOLD=off binds on the client and prepares nothing
        threshold = _prepare_threshold()
        if threshold is not None:
            options.setdefault("server_side_binding", True)
            options.setdefault("prepare_threshold", threshold)
    return config


def _prepare_threshold() -> int | None:
    raw = env_str("JR_DB_PREPARE_THRESHOLD", "").strip().lower() or "5"
    if raw == "off":
        return None
    if not raw.isdigit() or int(raw) > 1000:
        raise ImproperlyConfigured(f"JR_DB_PREPARE_THRESHOLD: expected off or a number from 0 to 1000, got {raw!r}")
    return int(raw)


def _page_cost() -> str:
    raw = env_str("JR_DB_RANDOM_PAGE_COST", "").strip() or "1.1"
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 100:
        raise ImproperlyConfigured(f"JR_DB_RANDOM_PAGE_COST: expected a number between 0 and 100, got {raw!r}")
    return raw


def env_redis(name: str = "REDIS_URL", default: str = "redis://127.0.0.1:6379/0") -> str:
    url = env_str(name, default)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"{name}: expected redis://host:port/db, got {url!r}")
    return url
