"""The request id (jointreview/observability.py): on every response, in every log line, in the headers of
the tasks a request queues (the worker side: tests/tasks/test_worker_ops.py)."""
from __future__ import annotations

import json
import logging

import pytest
import redis
from django.conf import settings
from django.test import Client, override_settings

from jointreview import observability
from jointreview.services import queue
from tests.integration_support import private_redis, producer_for

URLS = "tests.jointreview.ops_urls"


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=URLS)
def test_a_valid_caller_id_is_kept_anything_else_replaced_by_a_fresh_one():
    client = Client()
    kept = client.get("/test-request-id/", HTTP_X_REQUEST_ID="lb-1234.abc_DEF")
    assert kept["X-Request-ID"] == "lb-1234.abc_DEF" == kept.content.decode()
    for bad in ("x" * 65, "a b", "id;drop", "<script>", ""):
        response = client.get("/test-request-id/", HTTP_X_REQUEST_ID=bad)
        made = response["X-Request-ID"]
        assert made != bad and len(made) == 32 and int(made, 16) >= 0 and response.content.decode() == made
    assert client.get("/healthz/")["X-Request-ID"] != client.get("/healthz/")["X-Request-ID"]
    assert observability.current_request_id() is None  # reset after the request


def _record(message="hello"):
    return logging.LogRecord("jointreview.test", logging.INFO, __file__, 1, message, (), None)


def test_every_log_line_names_the_request_and_the_task_and_json_is_one_object_per_line():
    log_filter, formatter = observability.RequestIdFilter(), observability.JsonFormatter()
    outside = _record()
    assert log_filter.filter(outside) and outside.request_id == "-" and outside.task_id == "-"
    tokens = observability.bind_task("req-42", "task-7")
    try:
        record = _record("sent %s")
        log_filter.filter(record)
        line = json.loads(formatter.format(record))
    finally:
        observability.unbind_task(tokens)
    assert line["request_id"] == "req-42" and line["task_id"] == "task-7" and line["level"] == "INFO"
    assert line["logger"] == "jointreview.test" and line["message"] == "sent %s"
    assert observability.current_request_id() is None
    plain = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
    assert "[-] jointreview.test hello" in plain.format(outside)
    assert observability.bind_task("bad id!", None) and observability.current_request_id() is None  # invalid: dropped
    observability.unbind_task(None)


def _messages(url: str, queue_name: str) -> list[dict]:
    return [json.loads(raw) for raw in redis.Redis.from_url(url).lrange(queue_name, 0, -1)]


def test_a_task_sent_by_name_goes_to_its_routed_queue_with_the_request_id(monkeypatch):
    """Routes apply to send_task by name (the services never import a task): each task lands in the
    list of its queue on the broker, carrying the id of the request that queued it."""
    with private_redis() as url:
        app = producer_for(url)
        monkeypatch.setattr(queue, "_producer_app", lambda: app)
        token = observability.request_id_var.set("req-routes")
        try:
            for name in settings.CELERY_TASK_ROUTES:
                queue.enqueue(name)
        finally:
            observability.request_id_var.reset(token)
        queue.enqueue("jointreview.ping")  # outside a request: no header
        app.close()
        found = {q: _messages(url, q) for q in settings.JR_TASK_QUEUES}
    routed = {q: sorted(m["headers"]["task"] for m in msgs) for q, msgs in found.items()}
    expected = {q: sorted(n for n, r in settings.CELERY_TASK_ROUTES.items() if r["queue"] == q)
                for q in settings.JR_TASK_QUEUES}
    expected["default"] = sorted([*expected["default"], "jointreview.ping"])
    assert routed == expected
    assert {"fanout", "documents", "sweeps", "default"} == {q for q, names in routed.items() if names}
    headers = [m["headers"] for msgs in found.values() for m in msgs]
    assert sum(h.get("jr_request_id") == "req-routes" for h in headers) == len(settings.CELERY_TASK_ROUTES)
    assert sum("jr_request_id" not in h for h in headers) == 1
