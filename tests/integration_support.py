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
    """A `celery -A tasks worker` child process consuming every queue (settings.JR_TASK_QUEUES, as
    `make demo`'s worker); `kill()` is a SIGKILL (a crash), `stop()` is clean."""

    def __init__(self, *, redis_url: str, concurrency: int = 2, extra_env: dict[str, str] | None = None,
                 log_path: Path | None = None):
        self.redis_url = redis_url
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> WorkerProcess:
        from django.conf import settings

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
             "-c", str(self.concurrency), "-Q", ",".join(settings.JR_TASK_QUEUES), "--without-gossip", "--without-mingle", "--without-heartbeat",
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


class RedisServerProcess:
    """A throw-away `redis-server` on a spare port, to stop and start a broker during a test."""

    def __init__(self, port: int | None = None):
        self.port = port or _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServerProcess:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.exceptions.ConnectionError):
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@contextlib.contextmanager
def private_redis():
    """The URL of a throw-away ``redis-server`` for one test: no other test run on the shared Redis
    (another checkout, a CI job, the demo) can consume, send or flush its messages meanwhile."""
    server = RedisServerProcess().start()
    try:
        yield server.url
    finally:
        server.stop()


@contextlib.contextmanager
def rows_locked(table: str, ids: list[int]):
    """Hold ``SELECT ... FOR UPDATE`` on rows of ``table`` from a second connection to the test database.

    A worker's task that writes one of them waits inside its statement, mid-task, until the lock is
    released: a slow task without any hook in the code under test. Yields ``blocked()``, the pids of
    the sessions waiting on these locks, and ``end_blocked()``, which ends those sessions (PostgreSQL
    rolls their statement back), as the server does with the session of a client that died."""
    import psycopg

    with psycopg.connect(test_database_url()) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) FOR UPDATE", [ids])  # noqa: S608

        def blocked() -> list[int]:
            with psycopg.connect(test_database_url(), autocommit=True) as probe:
                rows = probe.execute("SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                                     [pid]).fetchall()
            return [r[0] for r in rows]

        def end_blocked() -> None:
            with psycopg.connect(test_database_url(), autocommit=True) as probe:
                for victim in blocked():
                    probe.execute("SELECT pg_terminate_backend(%s, 5000)", [victim])

        try:
            yield blocked, end_blocked
        finally:
            conn.rollback()


def producer_for(url: str):
    """A producer-only Celery app built as the web process builds its own (``services.queue``: the Django
    settings' CELERY_* options, routes included, and its short socket timeouts), sending to ``url``:
    patch ``jointreview.services.queue._producer_app`` to return it."""
    from celery import Celery

    from jointreview.services.queue import PRODUCER_TRANSPORT_OPTIONS, celery_settings

    app = Celery("jointreview-test-producer", set_as_current=False)
    app.config_from_object(celery_settings(), namespace="CELERY")
    app.conf.update(broker_url=url, broker_connection_retry_on_startup=False, broker_connection_timeout=1,
                    broker_transport_options={**(app.conf.broker_transport_options or {}),
                                              **PRODUCER_TRANSPORT_OPTIONS})
    return app


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _worker_factory_fixture(tmp_path):
    started: list[WorkerProcess] = []

    def start(*, redis_url: str, concurrency: int = 2, extra_env: dict[str, str] | None = None,
              name: str = "worker") -> WorkerProcess:
        worker = WorkerProcess(redis_url=redis_url, concurrency=concurrency, extra_env=extra_env,
                               log_path=tmp_path / f"{name}.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def worker_factory_fixture():
    """A pytest fixture (import it into a test module or conftest: ``worker_factory =
    worker_factory_fixture()``): ``worker_factory(redis_url=..., concurrency=2, extra_env=...)``
    starts a real worker process, stopped (SIGTERM, else SIGKILL) at teardown; logs in tmp_path."""
    import pytest

    return pytest.fixture(name="worker_factory")(_worker_factory_fixture)


class FlakyTcpProxy:
    """A TCP proxy in a thread of the test process, between app processes and ``upstream`` (PostgreSQL):
    ``cut()`` drops every open connection and, until ``restore()``, closes each new one at once (the
    app sees the server refuse it); a database outage without touching the shared server."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)):
        import socket
        import threading

        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.settimeout(0.2)
        self._lock = threading.Lock()
        self._open: set = set()
        self._up = True
        self._stopping = False
        self.refused = 0  # connections closed at once while cut
        self._thread = threading.Thread(target=self._serve, name="flaky-tcp-proxy", daemon=True)

    def start(self) -> FlakyTcpProxy:
        self._thread.start()
        return self

    def cut(self) -> None:
        with self._lock:
            self._up = False
            victims, self._open = list(self._open), set()
        for sock in victims:
            _close_quietly(sock)

    def restore(self) -> None:
        with self._lock:
            self._up = True

    def stop(self) -> None:
        self._stopping = True
        self.cut()
        self._thread.join(5)
        _close_quietly(self.listener)

    def _serve(self) -> None:
        import socket
        import threading

        while not self._stopping:
            try:
                client, _addr = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                up = self._up
            if not up:
                self.refused += 1
                _close_quietly(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close_quietly(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._open.update((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src, dst) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(src)
                self._open.discard(dst)
            _close_quietly(src)
            _close_quietly(dst)


def _close_quietly(sock) -> None:
    import socket

    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def database_url_through(port: int) -> str:
    """The test database's URL, reached through a proxy on 127.0.0.1:``port``."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@127.0.0.1:{port}/{s['NAME']}"


class WebServerProcess:
    """``gunicorn`` serving the site (settings test) on a spare loopback port, as in production."""

    def __init__(self, *, env: dict[str, str], log_path: Path | None = None, workers: int = 1, threads: int = 4):
        self.port = _free_port()
        self.env = env
        self.log_path = log_path
        self.workers, self.threads = workers, threads
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> WebServerProcess:
        import urllib.request

        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jointreview.settings.test", **self.env}
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "jointreview.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--threads", str(self.threads), "--timeout", "30"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start with code {self.proc.returncode}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(self.url + "/healthz/", timeout=3).close()  # noqa: S310
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
