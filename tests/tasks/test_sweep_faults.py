"""Faults with real processes (issue 11): a private ``redis-server``, real ``celery worker`` processes and,
for (d), a real ``celery beat``; the sweeps are sent through the broker to the worker, as beat does.

(a) Redis stopped during a batch of accepts and, again, while the last signature of a round triggers
    its consolidation and rendering, each time started again (empty: whatever it held is lost);
(b) a worker SIGKILLed while it renders a joint notice (between storing the PDF and recording it) and
    while it consolidates a round (a row lock held by the test keeps each task mid-way: no hook in
    the product);
(d) beat down for an hour, then started: every interval entry runs once, not once per missed period,
    and the escalation alert is raised once.

Afterwards every application, assignment, notification, opinion, joint notice and stored PDF exists
exactly once, every clock has its events (no event lost, none doubled) and the sweeps caught up.
There is no webhook/outbox table in the product yet: nothing of that kind to check.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from jointreview.clocks.models import ClockEvent, ClockState
from jointreview.intake import services as intake
from jointreview.models import (
    Application,
    Assignment,
    Clock,
    IssuedDocument,
    IssuedKind,
    Notification,
    Opinion,
    ReviewRound,
    SupervisionRecord,
)
from jointreview.review import services as review
from jointreview.services import queue
from tests.integration_support import (
    ROOT,
    RedisServerProcess,
    WorkerProcess,
    producer_for,
    rows_locked,
    wait_for,
)
from tests.integration_support import (
    test_database_url as database_url,
)
from tests.jointreview.intake.conftest import make_world, ready_app
from tests.jointreview.review.conftest import make_round

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SWEEPS_NOW = [  # what beat sends, with the age thresholds at 0 (the test does not wait minutes)
    ("jointreview.fanout_sweep", {"older_than_s": 0}),
    ("jointreview.consolidation_sweep", {"older_than_s": 0}),
    ("jointreview.render_sweep", {"older_than_s": 0}),
    ("jointreview.notification_email_sweep", {}),
]


class Rig:
    """A private Redis, the test process publishing to it, workers sharing the test's media root."""

    def __init__(self, tmp_path: Path, monkeypatch, settings):
        self.tmp_path = tmp_path
        self.media = tmp_path / "media"
        settings.MEDIA_ROOT = self.media
        self.server = RedisServerProcess().start()
        self.producer = producer_for(self.server.url)
        monkeypatch.setattr(queue, "_producer_app", lambda: self.producer)
        self.workers: list[WorkerProcess] = []

    def worker(self, name: str = "worker") -> WorkerProcess:
        w = WorkerProcess(redis_url=self.server.url, concurrency=2, log_path=self.tmp_path / f"{name}.log",
                          extra_env={"JR_TEST_MEDIA_ROOT": str(self.media)}).start()
        self.workers.append(w)
        return w

    def redis_down(self) -> None:
        self.server.stop()

    def redis_up(self) -> None:
        self.server = RedisServerProcess(port=self.server.port).start()

    def wait_workers_back(self) -> None:
        """Until a worker answers a ping on the restarted broker. A worker whose broker connection broke
        while it acknowledged a task does not reconnect: kombu 5.7's Redis transport raises
        "Unrecoverable error: AttributeError('NoneType' object has no attribute 'hostname')" and the
        worker hangs in its shutdown. What a liveness probe does then (no answer to a ping: restart),
        the test does: SIGKILL it (its unacknowledged work is the sweeps') and start a new one."""
        if self._pong(timeout=10):
            return
        for w in self.workers:
            w.kill()
        self.worker("replacement")
        assert self._pong(timeout=60), "no worker answers on the restarted broker"

    def _pong(self, *, timeout: float) -> bool:
        from celery import Celery

        client = Celery("readiness", broker=self.server.url, set_as_current=False)

        def pong():
            try:
                return client.control.ping(timeout=0.5)
            except Exception:  # the broker connection is being re-established
                return None

        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if pong():
                    return True
                time.sleep(0.5)
            return False
        finally:
            client.close()

    def send_sweeps(self) -> None:
        for name, kwargs in SWEEPS_NOW:
            self.producer.send_task(name, kwargs=kwargs, ignore_result=True)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp_path.glob("*.log")))

    def close(self) -> None:
        for w in self.workers:
            w.stop()
        self.producer.close()
        self.server.stop()


@pytest.fixture
def rig(tmp_path, monkeypatch, settings):
    r = Rig(tmp_path, monkeypatch, settings)
    try:
        yield r
    finally:
        r.close()


# ---------------------------------------------------------------------------------------------------
# what must hold afterwards
# ---------------------------------------------------------------------------------------------------


def fanned_out(apps: list[Application], n_agencies: int) -> bool:
    ids = [a.pk for a in apps]
    return (Assignment.objects.filter(application_id__in=ids, notify_status="sent").count() == len(ids) * n_agencies
            and Notification.objects.filter(application_id__in=ids, kind="assignment").count() == len(ids) * n_agencies)


def assert_fanned_out_exactly_once(apps: list[Application], n_agencies: int) -> None:
    for app in apps:
        rows = Assignment.objects.filter(application=app)
        assert rows.count() == n_agencies and rows.values("agency").distinct().count() == n_agencies
        assert set(rows.values_list("notify_status", flat=True)) == {"sent"}
        notes = Notification.objects.filter(application=app, kind="assignment")
        assert notes.count() == n_agencies and notes.values("assignment").distinct().count() == n_agencies
        assert Application.objects.get(pk=app.pk).status == "accepted"


def consolidated(rounds: list[ReviewRound]) -> bool:
    return IssuedDocument.objects.filter(round__in=rounds, kind=IssuedKind.JOINT_NOTICE).exclude(file="").count() \
        == len(rounds)


def assert_one_notice_and_one_pdf_each(rounds: list[ReviewRound], media: Path) -> None:
    for rnd in rounds:
        notices = IssuedDocument.objects.filter(round=rnd, kind=IssuedKind.JOINT_NOTICE)
        assert notices.count() == 1, rnd
        assert notices.get().file, rnd
        signed = Opinion.objects.filter(assignment__round=rnd, state=Opinion.State.SIGNED)
        assert signed.count() == signed.values("assignment").distinct().count() == rnd.assignments.count()
    assert_one_file_per_document(media)


def assert_one_file_per_document(media: Path) -> None:
    """The issued/ folder holds exactly the recorded files, one per document, with the recorded hash."""
    import hashlib

    on_disk = sorted(str(p.relative_to(media)) for p in (media / "issued").rglob("*") if p.is_file())
    recorded = sorted(IssuedDocument.objects.exclude(file="").values_list("file", flat=True))
    assert on_disk == recorded
    for doc in IssuedDocument.objects.exclude(file=""):
        assert hashlib.sha256((media / doc.file.name).read_bytes()).hexdigest() == doc.sha256


def assert_no_clock_lost_an_event() -> None:
    """Every clock's events are numbered 1..n without a gap or a double, started once, stopped at most
    once and its state agrees; the clock of every signed assignment is stopped."""
    for clock in Clock.objects.exclude(state=ClockState.NOT_STARTED):
        events = list(ClockEvent.objects.filter(clock=clock).order_by("seq").values_list("seq", "kind"))
        assert [seq for seq, _k in events] == list(range(1, len(events) + 1)), clock.pk
        kinds = [k for _s, k in events]
        assert kinds.count("start") == 1 and kinds.count("stop") <= 1, (clock.pk, kinds)
        assert (clock.state == ClockState.STOPPED) == ("stop" in kinds), (clock.pk, clock.state, kinds)
    signed = Assignment.objects.filter(opinions__state=Opinion.State.SIGNED, clock__isnull=False)
    assert not signed.exclude(clock__state=ClockState.STOPPED).exists()


def sign_all_but(s, keep: int) -> None:
    """Every agency of the round signs a passing opinion, except the last ``keep``."""
    for side in s.agencies[: len(s.agencies) - keep]:
        sign(side)


def sign(side) -> None:
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="pass", summary="同意")
    op = Opinion.objects.get(assignment=side.assignment, state=Opinion.State.DRAFT)
    review.opinion_sign(actor=side.reviewer, opinion_id=op.pk)


# ---------------------------------------------------------------------------------------------------
# (a) Redis stopped mid-flow
# ---------------------------------------------------------------------------------------------------


def test_a_redis_stopped_during_accepts_and_the_last_signature_sweeps_redo_the_lost_work_once(rig):
    n = 3
    worlds = [make_world(n_agencies=n) for _ in range(4)]  # one open application per project
    apps = [ready_app(w) for w in worlds]
    rounds = [make_round(2), make_round(2)]
    for s in rounds:
        sign_all_but(s, keep=1)
    rig.worker()

    # outage 1: during a batch of accepts (the worker still notifying the first ones)
    intake.application_accept(actor=worlds[0].centre, application=apps[0])
    intake.application_accept(actor=worlds[1].centre, application=apps[1])
    rig.redis_down()
    intake.application_accept(actor=worlds[2].centre, application=apps[2])  # committed; every publish fails
    intake.application_accept(actor=worlds[3].centre, application=apps[3])
    for app in apps:
        assert Application.objects.get(pk=app.pk).status == "accepted"
    rig.redis_up()  # empty: what it held is gone
    rig.wait_workers_back()

    # outage 2: while the last signature of a round triggers its consolidation and rendering
    sign(rounds[0].agencies[-1])  # published: the worker consolidates and renders...
    rig.redis_down()  # ...while Redis goes away (mid-task, or before it took the message)
    sign(rounds[1].agencies[-1])  # the round completes; its consolidation is never published
    assert ReviewRound.objects.get(pk=rounds[1].round.pk).completed_at is not None
    rig.redis_up()
    rig.wait_workers_back()
    rig.send_sweeps()
    wait_for(lambda: fanned_out(apps, n) and consolidated([s.round for s in rounds]), timeout=60, interval=0.3,
             what="the sweeps to redo every lost publish")
    rig.send_sweeps()  # beat's next run (and any late redelivery): nothing more
    time.sleep(2)
    assert_fanned_out_exactly_once(apps, n)
    assert_one_notice_and_one_pdf_each([s.round for s in rounds], rig.media)
    assert_no_clock_lost_an_event()


# ---------------------------------------------------------------------------------------------------
# (b) a worker SIGKILLed mid-render and mid-consolidation
# ---------------------------------------------------------------------------------------------------


def test_b_worker_killed_while_rendering_and_consolidating_one_notice_and_one_pdf(rig, monkeypatch):
    rendering, consolidating = make_round(1), make_round(2)
    with monkeypatch.context() as m:  # the notice of one round is drafted here: only its render is left
        m.setattr(queue, "enqueue", lambda name, **kw: None)
        sign(rendering.agencies[0])
    review.round_consolidate(round_id=rendering.round.pk)
    notice = IssuedDocument.objects.get(round=rendering.round)
    sign_all_but(consolidating, keep=0)
    assert IssuedDocument.objects.count() == 1
    rig.producer.send_task("jointreview.render_issued_document", kwargs={"document_id": notice.pk})

    # the consolidation of one round waits for its round row; the render of the other, having stored
    # its PDF, waits to record it: SIGKILL the worker there, then the server ends the dead sessions
    with rows_locked(ReviewRound._meta.db_table, [consolidating.round.pk]) as (blocked_c, end_c), \
            rows_locked(IssuedDocument._meta.db_table, [notice.pk]) as (blocked_r, end_r):
        first = rig.worker("killed")
        try:
            wait_for(lambda: len(blocked_c()) == 1 and len(blocked_r()) == 1, timeout=60, interval=0.2,
                     what="a consolidation and a render waiting mid-task")
            stored = [p for p in (rig.media / "issued").rglob("*.pdf")]
            assert len(stored) == 1  # the render stored its file and had not recorded it
        finally:
            first.kill()
        end_c(), end_r()
        wait_for(lambda: not blocked_c() and not blocked_r(), timeout=10, what="the dead worker's sessions to end")
    assert IssuedDocument.objects.get(pk=notice.pk).file == ""
    assert not IssuedDocument.objects.filter(round=consolidating.round).exists()

    # the dead worker's messages sit unacknowledged for the visibility timeout (an hour): the sweeps
    # (beat) pick the work up in the new worker
    rig.worker("restarted")
    rig.send_sweeps()
    rounds = [rendering.round, consolidating.round]
    wait_for(lambda: consolidated(rounds), timeout=60, interval=0.3, what="one notice and one PDF per round")
    rig.send_sweeps()
    time.sleep(2)
    assert_one_notice_and_one_pdf_each(rounds, rig.media)
    assert_no_clock_lost_an_event()


# ---------------------------------------------------------------------------------------------------
# (d) beat down for an hour
# ---------------------------------------------------------------------------------------------------

SENT = re.compile(r"Sending due task (\S+) \(")


def start_beat(rig, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jointreview.settings.test", "DATABASE_URL": database_url(),
           "REDIS_URL": rig.server.url, "JR_TEST_MEDIA_ROOT": str(rig.media)}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tasks", "beat", "-l", "info", "--max-interval", "1",
         "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
        cwd=ROOT, env=env, stdout=open(log_path, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
        start_new_session=True,
    )


def install_entries_an_hour_old() -> list[str]:
    """The PeriodicTask rows as beat installed them, last run an hour ago (beat was down since)."""
    from celery import beat
    from django_celery_beat.models import PeriodicTask

    from tasks.app import app
    from tasks.options import period_seconds
    from tasks.schedule import BEAT_SCHEDULE

    app.loader.init_worker()
    app.finalize()
    scheduler = beat.Service(app=app, scheduler_cls=app.conf.beat_scheduler).get_scheduler()
    scheduler.close()
    PeriodicTask.objects.update(last_run_at=timezone.now() - timedelta(hours=1))
    # the entries due every hour or more often: each is an hour late, and must run once
    return sorted(name for name, e in BEAT_SCHEDULE.items() if (period_seconds(e["schedule"]) or 86400) <= 3600)


def test_d_beat_down_for_an_hour_every_entry_runs_once_and_no_alert_twice(rig, monkeypatch):
    from tests.tasks.test_beat_integration import (
        a_completed_round_whose_consolidation_was_lost,
        a_running_clock_long_past_its_due_date,
    )

    rnd, assignment = a_completed_round_whose_consolidation_was_lost(monkeypatch)
    red = a_running_clock_long_past_its_due_date()
    due = install_entries_an_hour_old()
    rig.worker()
    beat_log = rig.tmp_path / "beat.log"
    beat = start_beat(rig, beat_log)
    try:
        def sent() -> dict[str, int]:
            names = SENT.findall(beat_log.read_text(errors="replace")) if beat_log.exists() else []
            return {n: names.count(n) for n in set(names)}

        wait_for(lambda: set(due) <= set(sent()), timeout=60, interval=0.3, what=f"beat to send {due}")
        wait_for(lambda: SupervisionRecord.objects.filter(clock_id=red.pk, level=3).exists()
                 and Notification.objects.filter(assignment=assignment, kind="assignment").exists()
                 and consolidated([rnd]), timeout=60, interval=0.3, what="the sweeps' work")
        time.sleep(4)  # beat wakes every second: a second run of an hour-late entry would show by now
        counts = sent()
    finally:
        beat.terminate()
        beat.wait(20)
    assert all(counts.get(name) == 1 for name in due), counts
    assert all(c == 1 for c in counts.values()), counts  # a daily entry due in the hour: once too

    alerts = SupervisionRecord.objects.filter(clock_id=red.pk).count()
    notes = set(Notification.objects.values_list("key", flat=True))
    from tasks.schedule import BEAT_SCHEDULE

    for name in due:  # beat's next run of every entry it ran, as it sends them
        rig.producer.send_task(BEAT_SCHEDULE[name]["task"], ignore_result=True)
    ended = re.compile(r"jointreview\.escalation_sweep\[[^]]+\] succeeded")
    wait_for(lambda: len(ended.findall(rig.logs())) >= 2, timeout=30, interval=0.3,
             what="the second escalation sweep to end")
    time.sleep(1)
    assert SupervisionRecord.objects.filter(clock_id=red.pk).count() == alerts == 1
    assert set(Notification.objects.values_list("key", flat=True)) == notes  # no alert or notice twice
    assert Notification.objects.filter(assignment=assignment, kind="assignment").count() == 1
    assert_one_notice_and_one_pdf_each([rnd], rig.media)
    assert_no_clock_lost_an_event()
