"""Fault (c) of issue 11 with real processes: PostgreSQL refuses the app's connections for ~20 s.

gunicorn (the site) and a Celery worker reach the test database through a TCP proxy in this process
(tests/integration_support.FlakyTcpProxy); the test cuts it: every open connection is dropped and every
new one closed at once. Meanwhile pages answer our 503 page with a retry hint, the API its JSON error
body, /healthz/ a 503 naming the database; a notification queued during the outage is retried by the
worker and done once the database is back, exactly once.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.test import Client

from jointreview import observability
from jointreview.intake import fanout
from jointreview.intake import services as intake
from jointreview.models import Assignment, Notification
from jointreview.services import queue
from tests.integration_support import (
    FlakyTcpProxy,
    WebServerProcess,
    WorkerProcess,
    database_url_through,
    private_redis,
    producer_for,
    wait_for,
)
from tests.jointreview.intake.conftest import make_world, ready_app

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

N_AGENCIES = 3
OUTAGE_S = 20


def _get(url: str, *, cookie: str = "", timeout: float = 10.0) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie, "Accept-Language": "en"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _assert_clean_503(status: int, headers: dict, body: str) -> None:
    assert status == 503, (status, body[:300])
    assert headers.get("Retry-After") == "30"
    assert "Traceback" not in body and "Server Error (500)" not in body


def _assert_outage_answers(url: str, cookie: str) -> None:
    status, headers, body = _get(url + "/", cookie=cookie)  # the session and the user: in a middleware
    _assert_clean_503(status, headers, body)
    assert 'id="service-unavailable"' in body and "Please try again in 30 seconds" in body
    status, headers, body = _get(url + "/api/review/inbox/", cookie=cookie)
    _assert_clean_503(status, headers, body)
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["code"] == "service_unavailable" and set(json.loads(body)) == {"code", "message", "fields"}
    status, _headers, body = _get(url + "/healthz/")
    assert status == 503 and json.loads(body) == {"status": "down", "database": "down", "broker": "ok"}


def test_database_refusing_connections_for_20_s(tmp_path, monkeypatch):
    w = make_world(n_agencies=N_AGENCIES)
    app = ready_app(w)
    # the accept commits, but its publishes are lost (no broker at that moment): the rows stay pending
    lost = producer_for("redis://127.0.0.1:1/0")
    monkeypatch.setattr(queue, "_producer_app", lambda: lost)
    intake.application_accept(actor=w.centre, application=app)
    pending = list(Assignment.objects.filter(application=app, notify_status="pending").values_list("pk", flat=True))
    assert len(pending) == N_AGENCIES
    browser = Client()
    browser.force_login(w.owner)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"

    proxy = FlakyTcpProxy().start()
    with private_redis() as broker:
        live = producer_for(broker)
        monkeypatch.setattr(queue, "_producer_app", lambda: live)
        through_proxy = {"DATABASE_URL": database_url_through(proxy.port), "REDIS_URL": broker}
        worker = WorkerProcess(redis_url=broker, extra_env=through_proxy, log_path=tmp_path / "worker.log")
        web = WebServerProcess(env=through_proxy, log_path=tmp_path / "web.log")
        try:
            worker.start()
            web.start()
            assert _get(web.url + "/", cookie=cookie)[0] == 200
            started = time.monotonic()
            proxy.cut()

            _assert_outage_answers(web.url, cookie)

            token = observability.request_id_var.set("req-during-outage")
            try:  # what fanout_sweep does: the worker takes them while the database is away
                for pk in pending:
                    fanout.dispatch_notify(pk)
            finally:
                observability.request_id_var.reset(token)
            wait_for(lambda: "Retry in" in (tmp_path / "worker.log").read_text(errors="replace"), timeout=15,
                     what="the worker retrying a notification")
            assert Notification.objects.filter(application=app, kind="assignment").count() == 0
            time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - started)))
            assert proxy.refused > 0
            proxy.restore()

            wait_for(lambda: not Assignment.objects.filter(pk__in=pending).exclude(notify_status="sent").exists(),
                     timeout=40, what="every notification done after the outage")
            assert _get(web.url + "/", cookie=cookie)[0] == 200
            assert json.loads(_get(web.url + "/healthz/")[2])["database"] == "ok"
            time.sleep(1.0)  # a late duplicate would show here
        finally:
            web.stop()
            worker.stop()
            proxy.stop()
    assert Notification.objects.filter(application=app, kind="assignment").count() == N_AGENCIES
    done = [line for line in (tmp_path / "worker.log").read_text(errors="replace").splitlines()
            if "notify_assignment" in line and "succeeded" in line]
    assert len(done) == N_AGENCIES and all("[req-during-outage]" in line for line in done)  # kept over retries
    assert Notification.objects.filter(application=app, kind="assignment").values("assignment").distinct().count() \
        == N_AGENCIES
