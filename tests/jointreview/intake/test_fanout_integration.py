"""The fan-out end to end: a REAL Redis and REAL Celery worker processes (docs/architecture.md §4).

Run with: pytest -m integration tests/jointreview/intake/test_fanout_integration.py
(each test starts its own throw-away redis-server, so runs of other checkouts on the same machine
never take or flush its messages).
"""
from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from jointreview.intake import fanout
from jointreview.intake import services as intake
from jointreview.models import Assignment, Notification
from jointreview.services import queue
from jointreview.services.errors import ConflictError
from tests.integration_support import (
    RedisServerProcess,
    WorkerProcess,
    private_redis,
    producer_for,
    rows_locked,
    wait_for,
)

from .conftest import make_world, ready_app

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

N_AGENCIES = 6


@pytest.fixture
def broker(monkeypatch):
    with private_redis() as url:
        app = producer_for(url)
        monkeypatch.setattr(queue, "_producer_app", lambda: app)
        yield url
        app.close()


def notified(app_id: int) -> int:
    return Notification.objects.filter(application_id=app_id, kind="assignment").count()


def all_sent(app_id: int) -> bool:
    return Assignment.objects.filter(application_id=app_id).exclude(notify_status="sent").count() == 0


def assert_exactly_once(app, n=N_AGENCIES):
    assert Assignment.objects.filter(application=app).count() == n
    assert Assignment.objects.filter(application=app).values("agency").distinct().count() == n
    assert notified(app.pk) == n
    assert Notification.objects.filter(application=app, kind="assignment").values("assignment").distinct().count() == n
    assert Assignment.objects.filter(application=app, notify_status="sent").count() == n


def test_accept_fans_out_exactly_one_assignment_and_notification_per_agency(broker, tmp_path):
    w = make_world(n_agencies=N_AGENCIES)
    app = ready_app(w)
    worker = WorkerProcess(redis_url=broker, log_path=tmp_path / "worker.log").start()
    try:
        intake.application_accept(actor=w.centre, application=app)
        wait_for(lambda: notified(app.pk) == N_AGENCIES, timeout=30, what="6 notifications")
        # duplicate deliveries of every task change nothing
        for a in Assignment.objects.filter(application=app):
            fanout.dispatch_notify(a.pk)
            fanout.dispatch_notify(a.pk)
        time.sleep(1.5)
    finally:
        worker.stop()
    assert_exactly_once(app)
    assert Assignment.objects.filter(application=app, notify_attempts=1).count() == N_AGENCIES


def test_worker_killed_mid_fanout_then_restarted_still_exactly_once(broker, tmp_path):
    w = make_world(n_agencies=N_AGENCIES)
    app = ready_app(w)
    intake.application_accept(actor=w.centre, application=app)  # 6 messages queued, no worker yet
    ids = list(Assignment.objects.filter(application=app).values_list("pk", flat=True))
    # the rows are locked by the test: each task the worker takes waits inside its claim (mid-task)
    with rows_locked(Assignment._meta.db_table, ids) as (blocked, end_blocked):
        slow = WorkerProcess(redis_url=broker, concurrency=2, log_path=tmp_path / "slow.log").start()
        try:
            wait_for(lambda: len(blocked()) == 2, timeout=30, what="two tasks waiting inside their claim")
        finally:
            slow.kill()  # SIGKILL the whole worker: mid-task, nothing committed, messages unacked
        # a session waiting on a lock notices its dead client only when it next talks to it: end the
        # two, as the server would, before the lock goes (else their claims would still commit)
        end_blocked()
        wait_for(lambda: not blocked(), timeout=10, what="the dead worker's sessions to end")
    assert notified(app.pk) == 0
    assert Assignment.objects.filter(application=app, notify_status="pending").count() == N_AGENCIES
    restarted = WorkerProcess(redis_url=broker, concurrency=2, log_path=tmp_path / "restarted.log").start()
    try:
        # the queued tasks run; the ones the dead worker held stay unacked until the visibility
        # timeout, so the beat sweep re-dispatches whatever is still pending
        wait_for(lambda: notified(app.pk) >= N_AGENCIES - 2, timeout=30, what="the queued notifications")
        fanout.fanout_sweep(older_than_s=0)
        wait_for(lambda: all_sent(app.pk), timeout=30, what="every assignment notified")
        fanout.fanout_sweep(older_than_s=0)  # nothing pending: a no-op
        for a in Assignment.objects.filter(application=app):
            fanout.dispatch_notify(a.pk)  # a late redelivery of every message
        time.sleep(1.5)
    finally:
        restarted.stop()
    assert_exactly_once(app)


def test_broker_down_at_accept_then_beat_sweep_completes(tmp_path, monkeypatch):
    server = RedisServerProcess().start()
    url = server.url
    app_producer = producer_for(url)
    monkeypatch.setattr(queue, "_producer_app", lambda: app_producer)
    server.stop()  # the broker is down when the centre accepts
    try:
        w = make_world(n_agencies=N_AGENCIES)
        app = ready_app(w)
        intake.application_accept(actor=w.centre, application=app)  # commits; the publish fails (logged)
        assert Assignment.objects.filter(application=app, notify_status="pending").count() == N_AGENCIES
        assert notified(app.pk) == 0
        server = RedisServerProcess(port=server.port).start()  # the broker is back
        worker = WorkerProcess(redis_url=url, log_path=tmp_path / "worker.log").start()
        try:
            time.sleep(1.0)
            assert notified(app.pk) == 0  # nothing was queued: the rows are the truth
            # what beat does every 60 s: send the sweep task through the broker to the worker
            app_producer.send_task("jointreview.fanout_sweep", kwargs={"older_than_s": 0})
            wait_for(lambda: notified(app.pk) == N_AGENCIES, timeout=30, what="the sweep's re-dispatch")
            time.sleep(1.0)
        finally:
            worker.stop()
        assert_exactly_once(app)
    finally:
        app_producer.close()
        server.stop()


def test_two_concurrent_accepts_one_fanout_one_409(broker, tmp_path, monkeypatch):
    w = make_world(n_agencies=N_AGENCIES)
    app = ready_app(w)
    dispatched: list[int] = []
    real_dispatch = fanout.dispatch_notify_many

    def counting_dispatch(pks):
        dispatched.extend(pks)
        real_dispatch(pks)

    # patched where application_accept looks it up (the acceptance module of the intake services)
    monkeypatch.setattr("jointreview.intake.services.acceptance.dispatch_notify_many", counting_dispatch)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept():
        try:
            barrier.wait(5)
            intake.application_accept(actor=w.centre, application=app.pk)
            outcomes.append("accepted")
        except ConflictError as exc:
            outcomes.append(f"{exc.status_code} {exc.message}")
        finally:
            connection.close()  # each thread has its own database connection

    worker = WorkerProcess(redis_url=broker, log_path=tmp_path / "worker.log").start()
    try:
        threads = [threading.Thread(target=accept) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        wait_for(lambda: notified(app.pk) == N_AGENCIES, timeout=30, what="6 notifications")
        time.sleep(1.0)
    finally:
        worker.stop()
    assert sorted(o.split(" ")[0] for o in outcomes) == ["409", "accepted"]
    assert any("申请已受理" in o for o in outcomes)  # the refusal, in the default language
    assert len(dispatched) == N_AGENCIES  # one fan-out
    assert_exactly_once(app)
