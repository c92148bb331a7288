"""Settings load in every mode; bad settings give one clear line naming the variable."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DATABASES['default']['ENGINE'], s.DEBUG, s.CELERY_BROKER_URL, s.CELERY_TASK_ACKS_LATE, "
    "s.CELERY_WORKER_PREFETCH_MULTIPLIER, s.CELERY_TASK_SERIALIZER)"
)


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    clean.update(env)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_dev_defaults_to_sqlite_and_debug(tmp_path):
    out = run(["-c", PROBE], DJANGO_SETTINGS_MODULE="jointreview.settings.dev")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "django.db.backends.sqlite3", "True", "redis://127.0.0.1:6379/0", "True", "1", "json"
    ]


def test_test_settings_use_postgresql():
    out = run(["-c", PROBE], DJANGO_SETTINGS_MODULE="jointreview.settings.test")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "django.db.backends.postgresql"


def test_environment_overrides_are_read():
    out = run(
        ["-c", PROBE], DJANGO_SETTINGS_MODULE="jointreview.settings.dev",
        DATABASE_URL="postgres://u:p@db.example:5433/jr", REDIS_URL="redis://cache:6380/2", DEBUG="false",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:3] == ["django.db.backends.postgresql", "False", "redis://cache:6380/2"]


def test_production_requires_a_secret_key():
    out = run(["manage.py", "check"], DJANGO_SETTINGS_MODULE="jointreview.settings.production",
              DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres")
    assert out.returncode == 2
    assert out.stderr.strip().startswith("error: SECRET_KEY: this setting is required and is not set")
    assert len(out.stderr.strip().splitlines()) == 1


def test_production_passes_check_deploy_without_warnings():
    out = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SETTINGS_MODULE="jointreview.settings.production",
        SECRET_KEY="x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        ALLOWED_HOSTS="review.example.gov.cn",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "mysql://root@localhost/jr"}, "error: DATABASE_URL: unsupported database 'mysql'"),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:1/jr"}, "error: DATABASE_URL: cannot use the database at"),
        ({"REDIS_URL": "http://localhost:6379"}, "error: REDIS_URL: expected redis://host:port/db"),
        ({"DEBUG": "maybe"}, "error: DEBUG: expected true/false, got 'maybe'"),
    ],
)
def test_bad_settings_give_one_clear_line(env, expected):
    out = run(["manage.py", "migrate", "--check"], DJANGO_SETTINGS_MODULE="jointreview.settings.dev", **env)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(expected)
    assert "Traceback" not in out.stderr


def test_unreachable_redis_is_named_by_celery_ping():
    out = run(["manage.py", "celery_ping", "--timeout", "2"], DJANGO_SETTINGS_MODULE="jointreview.settings.dev",
              REDIS_URL="redis://127.0.0.1:1/0")
    assert out.returncode == 2
    line = out.stderr.strip()  # the message in the default language (Simplified Chinese)
    assert line.startswith("error: REDIS_URL: ") and "redis://127.0.0.1:1/0 上没有消息代理响应" in line


@pytest.mark.parametrize(("value", "ok"), [("", True), ("90", True), ("0", False), ("40000", False), ("x", False)])
def test_pause_max_days_is_checked(value, ok):
    out = run(["manage.py", "check"], DJANGO_SETTINGS_MODULE="jointreview.settings.dev", JR_PAUSE_MAX_DAYS=value)
    if ok:
        assert out.returncode == 0, out.stderr
    else:
        assert out.returncode == 2 and out.stderr.strip().startswith("error: JR_PAUSE_MAX_DAYS: expected")


def test_the_app_connects_with_random_page_cost_for_ssd(db):
    """The planner's random_page_cost on the app's own connections (1.1 unless JR_DB_RANDOM_PAGE_COST says
    otherwise): with PostgreSQL's default 4 it scanned a whole table to join a page's rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"


@pytest.mark.parametrize(("value", "ok"), [("4", True), ("0", False), ("fast", False)])
def test_random_page_cost_is_checked(value, ok):
    out = run(["-c", "import django; django.setup(); from django.db import connection; c = connection.cursor(); "
                     "c.execute('SHOW random_page_cost'); print(c.fetchone()[0])"],
              DJANGO_SETTINGS_MODULE="jointreview.settings.test", JR_DB_RANDOM_PAGE_COST=value,
              DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres")
    if ok:
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "4"
    else:
        assert out.returncode != 0 and "JR_DB_RANDOM_PAGE_COST: expected a number between 0 and 100" in out.stderr


@pytest.mark.parametrize(("value", "expected"), [("", "True 5"), ("0", "True 0"), ("off", "None None"),
                                                 ("sometimes", None), ("-1", None)])
def test_prepare_threshold_binds_on_the_server_unless_off(value, expected):
    out = run(["-c", "import django; django.setup(); from django.db import connection as c; "
                     "o = c.settings_dict['OPTIONS']; print(o.get('server_side_binding'), o.get('prepare_threshold'))"],
              DJANGO_SETTINGS_MODULE="jointreview.settings.test", JR_DB_PREPARE_THRESHOLD=value,
              DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres")
    if expected is None:
        assert out.returncode != 0 and "JR_DB_PREPARE_THRESHOLD: expected off or a number" in out.stderr
    else:
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == expected
