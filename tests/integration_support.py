"""Real processes for integration tests: a Celery worker (and helpers to find the test database)."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the database pytest-django made for this run (workers must use the same one)."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def redis_url_for_tests(db: int) -> str:
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return base.rsplit("/", 1)[0] + f"/{db}"


def flush_redis(url: str) -> None:
    redis.Redis.from_url(url).flushdb()


class WorkerProcess:
    """A `celery -A tasks worker` child process; `kill()` is a SIGKILL (a crash), `stop()` is clean."""

    def __init__(self, *, redis_url: str, concurrency: int = 2, extra_env: dict[str, str] | None = None,
                 log_path: Path | None = None):
        self.redis_url = redis_url
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "jointreview.settings.test",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": self.redis_url,
            **self.extra_env,
        }
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tasks", "worker", "-l", "info", "-P", "prefork",
             "-c", str(self.concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        """Wait for the worker's pong on ITS broker (a client app of its own, not the tests' settings)."""
        from celery import Celery

        client = Celery("readiness", broker=self.redis_url)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the worker exited at start with code {self.proc.returncode}")
                if client.control.ping(timeout=0.5):
                    return
            raise RuntimeError(f"no worker answered a ping within {timeout}s")
        except BaseException:
            self.kill()
            raise
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker dies mid-task, as in a crash."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def running_worker(**kwargs):
    worker = WorkerProcess(**kwargs).start()
    try:
        yield worker
    finally:
        worker.stop()
