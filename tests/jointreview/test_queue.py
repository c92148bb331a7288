"""The broker is never in a request's way (docs/architecture.md §4): a publish does not touch the result
backend and gives up on a broker that does not answer quickly; what could not be published is logged
for the sweeps. Each case runs in a fresh interpreter (a real producer, as the web process has one)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import os, sys, django
django.setup()
from django.conf import settings
settings.CELERY_BROKER_URL = sys.argv[1]
settings.CELERY_RESULT_BACKEND = sys.argv[2]
from jointreview.services import queue
try:
    queue.enqueue("jointreview.ping", sent_at=0)
except Exception as exc:
    print("refused:", type(exc).__name__)
    sys.exit(3)
print("published")
"""


def _run(broker: str, backend: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jointreview.settings.test"}
    return subprocess.run([sys.executable, "-c", SCRIPT, broker, backend], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_publish_does_not_touch_the_result_backend():
    """The broker answers, the result backend does not: the task is published (before, Celery subscribed
    to the result channel first and gave up after its reconnect loop, failing the publish)."""
    from django.conf import settings

    done = _run(settings.CELERY_BROKER_URL, "redis://127.0.0.1:1/0")
    assert done.returncode == 0 and "published" in done.stdout, done.stdout + done.stderr


def test_a_broker_that_does_not_answer_is_refused_and_said():
    """No broker: the publish fails (the caller logs it for the sweeps, enqueue_after_commit), it does not
    hang the request in a retry loop."""
    done = _run("redis://127.0.0.1:1/0", "redis://127.0.0.1:1/0")
    assert done.returncode == 3 and "refused:" in done.stdout, done.stdout + done.stderr


@pytest.mark.django_db
def test_healthz_names_a_broker_that_is_down_without_failing(client, settings):
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    assert client.get("/healthz/").json() == {"status": "ok", "database": "ok", "broker": "ok"}
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz/")
    assert response.status_code == 200  # pages are served without the broker
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "down"}
