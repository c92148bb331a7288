"""`celery_ping` round trip through a real Redis and a real worker process started by the test."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.integration_support import ROOT, private_redis, running_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def ping(redis_url: str, timeout: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "jointreview.settings.test"}
    return subprocess.run(
        [sys.executable, "manage.py", "celery_ping", "--timeout", timeout],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90,
    )


def test_celery_ping_round_trip_through_a_real_worker(tmp_path):
    with private_redis() as url, running_worker(redis_url=url, concurrency=1, log_path=tmp_path / "worker.log"):
        out = ping(url, "20")
    assert out.returncode == 0, out.stderr + (tmp_path / "worker.log").read_text()
    assert out.stdout.startswith(f"worker 经 {url} 应答 pong: 往返 ")  # the default language


def test_celery_ping_fails_clearly_without_a_worker():
    with private_redis() as url:  # no worker of another test run answers on it
        out = ping(url, "2")
    assert out.returncode == 1
    assert out.stderr.startswith("error: ") and "2 秒内没有 Celery worker" in out.stderr
