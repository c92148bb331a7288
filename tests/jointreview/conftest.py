"""Fixtures shared by the tests of every area of jointreview."""
from __future__ import annotations

import threading

import pytest


@pytest.fixture
def run_tasks(monkeypatch):
    """Tasks enqueued by name run at once, in-process, in the thread that committed (no broker); the names
    are recorded (under a lock: the concurrency tests commit from several threads)."""
    import tasks.jobs  # noqa: F401 - registers every task
    from tasks.app import app as celery_app

    sent: list[tuple[str, dict]] = []
    lock = threading.Lock()

    def fake_enqueue(task_name, **kwargs):
        with lock:
            sent.append((task_name, kwargs))
        celery_app.tasks[task_name].apply(kwargs=kwargs, throw=True)

    monkeypatch.setattr("jointreview.services.queue.enqueue", fake_enqueue)
    return sent
