"""A real worker: its readiness file (the compose healthcheck, `manage.py worker_ready`: gone while the
broker is, back with it) and its log lines
naming the request that queued the task (JSON logs, LOG_FORMAT=json)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from jointreview import observability
from jointreview.services import queue
from tests.integration_support import RedisServerProcess, WorkerProcess, producer_for, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def worker_ready(path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jointreview.settings.test", "JR_WORKER_READY_FILE": str(path)}
    return subprocess.run([sys.executable, "manage.py", "worker_ready"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def json_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_a_worker_is_ready_while_consuming_and_its_task_logs_name_the_request_that_queued_them(tmp_path,
                                                                                                 monkeypatch):
    ready, log = tmp_path / "run" / "ready", tmp_path / "worker.log"
    assert worker_ready(ready).returncode == 1  # no worker yet
    server = RedisServerProcess().start()
    broker = server.url
    try:
        app = producer_for(broker)
        monkeypatch.setattr(queue, "_producer_app", lambda: app)
        worker = WorkerProcess(redis_url=broker, log_path=log,
                               extra_env={"JR_WORKER_READY_FILE": str(ready), "LOG_FORMAT": "json"}).start()
        try:
            wait_for(ready.exists, timeout=15, what="the readiness file")
            done = worker_ready(ready)
            assert done.returncode == 0, done.stderr
            token = observability.request_id_var.set("req-from-web-1")
            try:  # as a view would: the request's id goes into the message's headers
                queue.enqueue("jointreview.noop", n=0)
                queue.enqueue("jointreview.ping", sent_at=0)  # another queue, same request
            finally:
                observability.request_id_var.reset(token)
            queue.enqueue("jointreview.noop", n=1)  # no request: no id

            def finished():
                return [e for e in json_lines(log) if "succeeded" in e["message"]]

            wait_for(lambda: len(finished()) == 3, timeout=20, what="three tasks to finish")
            server.stop()  # the broker goes away: the worker is no longer ready
            wait_for(lambda: not ready.exists(), timeout=20, what="the readiness file to go with the broker")
            assert worker_ready(ready).returncode == 1
            server = RedisServerProcess(port=server.port).start()  # back: ready again
            wait_for(ready.exists, timeout=30, what="the readiness file once the broker is back")
        finally:
            worker.stop()
            app.close()
    finally:
        server.stop()
    lines = finished()
    by_request = {e["request_id"] for e in lines}
    assert sorted(e["request_id"] for e in lines) == ["-", "req-from-web-1", "req-from-web-1"], by_request
    for entry in lines:  # and each names its own task
        assert entry["task_id"] != "-" and entry["task_id"] in entry["message"]
    assert not ready.exists()  # a stopped worker removes its file
    assert worker_ready(ready).returncode == 1
    assert settings.CELERY_TASK_ROUTES["jointreview.ping"]["queue"] != settings.CELERY_TASK_ROUTES[
        "jointreview.noop"]["queue"]


def test_a_worker_cut_from_its_broker_longer_than_the_stall_limit_exits_for_its_supervisor(tmp_path):
    """JR_WORKER_STALL_EXIT_SECONDS: a worker that stops consuming (here: its broker gone) exits with
    code 70 instead of hanging, so compose's restart policy starts a new one."""
    ready = tmp_path / "ready"
    server = RedisServerProcess().start()
    try:
        worker = WorkerProcess(redis_url=server.url, log_path=tmp_path / "worker.log",
                               extra_env={"JR_WORKER_READY_FILE": str(ready),
                                          "JR_WORKER_STALL_EXIT_SECONDS": "6"}).start()
        try:
            wait_for(ready.exists, timeout=15, what="the readiness file")
            assert worker.proc.poll() is None  # consuming: the watchdog leaves it alone
            server.stop()
            wait_for(lambda: worker.proc.poll() is not None, timeout=40, what="the stalled worker to exit")
            assert worker.proc.returncode == 70
            assert "exiting for a restart" in (tmp_path / "worker.log").read_text(errors="replace")
            # and its pool's children went with it (nothing left in the worker's process group)
            wait_for(lambda: not _group_alive(worker.proc.pid), timeout=10, what="the pool's children to go")
        finally:
            worker.kill()
            if _group_alive(worker.proc.pid):
                os.killpg(worker.proc.pid, signal.SIGKILL)
    finally:
        server.stop()
