"""Hardening (issue 8), configuration: production refuses a missing or placeholder SECRET_KEY unless a
try-out is asked for (and so does compose with its defaults), and the new variables are read and checked
with one clear line, like the others."""
from __future__ import annotations

import re

import pytest
import yaml

from tests.foundation.test_settings import ROOT, run

GOOD_KEY = "k8J#2mQ!x9Lp$4vR7tZ@1nB6cW0yE3uH5gF8dS2aQ9wX7zV4bN6m"
PG = "postgres://postgres@127.0.0.1:5432/postgres"


def check(**env):
    return run(["manage.py", "check"], DJANGO_SETTINGS_MODULE="jointreview.settings.production",
               DATABASE_URL=PG, **env)


def one_line(out) -> str:
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    return lines[0]


@pytest.mark.parametrize("key,reason", [
    ("insecure-dev-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz", "published placeholder"),
    ("insecure-compose-default-change-me", "published placeholder"),
    ("django-insecure-" + "a1b2c3d4e5" * 5, "published placeholder"),
    ("short-but-random-Q7x!", "too short"),
    ("a" * 60, "too simple"),
])
def test_production_refuses_a_placeholder_or_weak_secret_key(key, reason):
    out = check(SECRET_KEY=key)
    assert out.returncode == 2
    line = one_line(out)
    assert line.startswith("error: SECRET_KEY: ") and reason in line and "JR_TRYOUT=true" in line


def test_production_takes_a_real_key_and_a_tryout_takes_none():
    assert check(SECRET_KEY=GOOD_KEY).returncode == 0
    out = check(JR_TRYOUT="true")
    assert out.returncode == 0, out.stderr
    assert check(JR_TRYOUT="maybe").returncode == 2


def _compose_env() -> dict[str, str]:
    """The app services' environment as compose makes it with nothing set in the shell or a .env file:
    ``${VAR:-default}`` gives the default, a bare ``VAR:`` passes nothing."""
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = {}
    for name, value in spec["x-app"]["environment"].items():
        if value is None:
            continue
        env[name] = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: m.group(2), str(value))
    return env


def test_compose_with_its_defaults_refuses_to_start_and_starts_as_a_tryout():
    env = _compose_env()
    assert env["SECRET_KEY"] == "" and env["JR_TRYOUT"] == "false"
    env.update(DATABASE_URL=PG, REDIS_URL="redis://127.0.0.1:6379/0")
    # the web service's first command
    out = run(["manage.py", "migrate", "--check"], **env)
    assert out.returncode == 2
    assert one_line(out).startswith("error: SECRET_KEY: this setting is required and is not set")
    env["JR_TRYOUT"] = "true"  # JR_TRYOUT=true docker compose up
    out = run(["manage.py", "check"], **env)
    assert out.returncode == 0, out.stderr


PROBE = ("import django; django.setup(); from django.conf import settings as s; "
         "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.SESSION_COOKIE_AGE, "
         "s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['user'], s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['anon'], "
         "s.REST_FRAMEWORK['NUM_PROXIES'])")


def test_the_new_variables_are_read():
    out = run(["-c", PROBE], DJANGO_SETTINGS_MODULE="jointreview.settings.dev")
    assert out.stdout.split() == ["5", "900", "1860", "600/min", "60/min", "0"], out.stderr
    out = run(["-c", PROBE], DJANGO_SETTINGS_MODULE="jointreview.settings.dev", JR_LOGIN_FAILURE_LIMIT="3",
              JR_LOGIN_COOLOFF_MINUTES="7", JR_SESSION_IDLE_MINUTES="10", JR_API_THROTTLE_USER="20/s",
              JR_API_THROTTLE_ANON="100/hour", JR_TRUSTED_PROXY_COUNT="1")
    assert out.stdout.split() == ["3", "420", "660", "20/s", "100/hour", "1"], out.stderr


@pytest.mark.parametrize("env,expected", [
    ({"JR_LOGIN_FAILURE_LIMIT": "0"}, "error: JR_LOGIN_FAILURE_LIMIT: expected an integer of at least 1, got '0'"),
    ({"JR_SESSION_IDLE_MINUTES": "soon"}, "error: JR_SESSION_IDLE_MINUTES: expected an integer, got 'soon'"),
    ({"JR_API_THROTTLE_USER": "fast"}, "error: JR_API_THROTTLE_USER: expected a rate like 600/min"),
    ({"JR_API_THROTTLE_ANON": "60/fortnight"}, "error: JR_API_THROTTLE_ANON: expected a rate like 600/min"),
])
def test_bad_values_give_one_clear_line(env, expected):
    out = run(["manage.py", "check"], DJANGO_SETTINGS_MODULE="jointreview.settings.dev", **env)
    assert out.returncode == 2
    assert one_line(out).startswith(expected)
