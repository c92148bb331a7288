"""``enqueue_many_after_commit`` (the accept's fan-out): one on-commit hook publishes every task through
one producer and one Redis pipeline, each task once, with the request id; whatever could not be sent
is logged, naming what retries it (a real Redis of the test's own, a real producer)."""
from __future__ import annotations

import base64
import json
import logging

import pytest
import redis
from celery import Celery
from kombu.transport.redis import PublishBatch

from jointreview import observability
from jointreview.services import queue
from tests.integration_support import private_redis

TASK = "jointreview.notify_assignment"
pytestmark = pytest.mark.django_db


def _producer(monkeypatch, url: str) -> Celery:
    app = Celery("many-probe", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = url
    app.conf.broker_transport_options = {**queue.PRODUCER_TRANSPORT_OPTIONS}
    monkeypatch.setattr(queue, "_producer_app", lambda: app)
    return app


def _queued(url: str) -> list[tuple[int, str | None]]:
    """(assignment_id, request id) of each message on the fan-out queue."""
    found = []
    for raw in redis.Redis.from_url(url).lrange("fanout", 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == TASK
        _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((kwargs["assignment_id"], message["headers"].get("jr_request_id")))
    return sorted(found)


def _enqueue_eight(django_capture_on_commit_callbacks) -> list:
    token = observability.request_id_var.set("req-many")
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            queue.enqueue_many_after_commit(TASK, [{"assignment_id": pk} for pk in range(1, 9)])
    finally:
        observability.request_id_var.reset(token)
    return callbacks


def test_every_task_is_published_once_from_one_hook_with_the_request_id(monkeypatch, django_capture_on_commit_callbacks):
    with private_redis() as url:
        app = _producer(monkeypatch, url)
        callbacks = _enqueue_eight(django_capture_on_commit_callbacks)
        app.close()
        assert len(callbacks) == 1  # one on-commit hook for the eight
        assert _queued(url) == [(pk, "req-many") for pk in range(1, 9)]


def test_a_pipeline_that_fails_is_published_again_task_by_task(monkeypatch, caplog,
                                                               django_capture_on_commit_callbacks):
    """The pipeline's send fails (the broker dropped the connection): each task is then published on its
    own (with its own retry), so none is lost."""
    real_flush, failed = PublishBatch.flush, []

    def flaky_flush(self):
        if not failed:
            failed.append(1)
            raise ConnectionError("connection reset")
        return real_flush(self)

    monkeypatch.setattr(PublishBatch, "flush", flaky_flush)
    with private_redis() as url, caplog.at_level(logging.WARNING, logger="jointreview.services.queue"):
        app = _producer(monkeypatch, url)
        _enqueue_eight(django_capture_on_commit_callbacks)
        app.close()
        assert failed and _queued(url) == [(pk, "req-many") for pk in range(1, 9)]
    assert "could not send 8 batched jointreview.notify_assignment tasks" in caplog.text


def test_a_broker_down_loses_nothing_silently(monkeypatch, caplog, django_capture_on_commit_callbacks):
    """No broker: the commit stands, nothing is raised, and each task's failure is logged, naming the sweep
    that re-dispatches it."""
    _producer(monkeypatch, "redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="jointreview.services.queue"):
        _enqueue_eight(django_capture_on_commit_callbacks)
    failures = [r for r in caplog.records if r.getMessage().startswith(f"could not enqueue {TASK}")]
    assert len(failures) == 8
    assert all(queue.RETRIED_BY[TASK] in r.getMessage() for r in failures)
