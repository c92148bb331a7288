"""Every beat entry, sent the way `celery beat` sends it, runs in a REAL worker (issue 9).

Production runs ``celery -A tasks beat --scheduler django_celery_beat.schedulers:DatabaseScheduler``:
at start the scheduler copies ``app.conf.beat_schedule`` (``tasks/schedule.py``) into
django-celery-beat's tables, then sends each due entry built from its ``PeriodicTask`` row with
``Scheduler.apply_async(entry, producer=...)``. ``Scheduler.apply_entry`` catches and only logs any
error of that call, so an entry that can never be sent fails silently in production; this test calls
the scheduler's own ``apply_async`` (the very code ``apply_entry`` runs) for every installed row and
waits for the worker to report each task ``succeeded`` (the app ignores results, so the observable
is the worker's log line for the message's id, plus the effect of the two safety-net sweeps in the
database). It runs against a throw-away ``redis-server`` so that nothing else on the shared Redis
consumes or sends messages meanwhile.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from jointreview.models import (
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
from tests.integration_support import RedisServerProcess, WorkerProcess, wait_for
from tests.jointreview.review.conftest import make_round

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# the entry django-celery-beat adds by itself when results expire (``install_default_entries``)
BUILT_IN_ENTRIES = {"celery.backend_cleanup"}
FAILED = re.compile(r"\] (raised unexpected|rejected|INTERNAL ERROR|retry|ignored)|TimeLimitExceeded|WorkerLostError")


def a_completed_round_whose_consolidation_was_lost(monkeypatch):
    """A round whose last signature committed but whose consolidation message never reached the broker,
    and whose assignment's notification is still pending after a minute (a lost fan-out publish)."""
    lost: list[str] = []
    with monkeypatch.context() as m:
        m.setattr("jointreview.services.queue.enqueue", lambda name, **kw: lost.append(name))
        s = make_round(1)
        side = s.agencies[0]
        review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="pass",
                                  summary="审查意见")
        op = Opinion.objects.get(assignment=side.assignment, state=Opinion.State.DRAFT)
        review.opinion_sign(actor=side.reviewer, opinion_id=op.pk)
    assert "jointreview.consolidate_round" in lost
    rnd = ReviewRound.objects.get(pk=s.round.pk)
    assert rnd.completed_at is not None
    ReviewRound.objects.filter(pk=rnd.pk).update(completed_at=timezone.now() - timedelta(minutes=5))
    Assignment.objects.filter(pk=side.assignment.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert Assignment.objects.get(pk=side.assignment.pk).notify_status == "pending"
    return rnd, side.assignment


def a_running_clock_long_past_its_due_date():
    """An accepted case whose assignment clock (due in March 2026) is red, as the clock sweep leaves it,
    with a centre leader to tell."""
    from tests.jointreview.supervision.conftest import accepted_round

    s = accepted_round(1)
    clock = Clock.objects.get(pk=s.agencies[0].assignment.clock_id)
    Clock.objects.filter(pk=clock.pk).update(light="red")
    return clock


def test_every_installed_beat_entry_is_accepted_and_runs_in_a_real_worker(tmp_path, monkeypatch):
    from celery import beat
    from django_celery_beat.schedulers import DatabaseScheduler

    from tasks.app import app

    rnd, assignment = a_completed_round_whose_consolidation_was_lost(monkeypatch)
    red_clock = a_running_clock_long_past_its_due_date()
    server = RedisServerProcess().start()
    log_path = tmp_path / "worker.log"
    worker = scheduler = None
    try:
        worker = WorkerProcess(redis_url=server.url, concurrency=2, log_path=log_path).start()

        # what `celery beat` does at start (celery.apps.beat.Beat.init_loader, then its Service)
        app.loader.init_worker()
        app.finalize()
        scheduler = beat.Service(app=app, scheduler_cls=app.conf.beat_scheduler).get_scheduler()
        assert isinstance(scheduler, DatabaseScheduler)
        scheduler.connection = app.connection_for_write(server.url)  # the test's broker, not settings'

        problems, sent = send_every_installed_entry(app, scheduler)
        if sent:
            result = wait_for(lambda: worker_outcome(log_path, sent), timeout=60, interval=0.2,
                              what="every beat entry to succeed in the worker")
            if result != "done":
                problems.append(f"the worker did not run it: {result}")
        assert not problems, "\n".join(problems) + "\n--- worker log ---\n" + log_path.read_text(errors="replace")

        # the two safety nets did their work: the tasks they re-dispatched ran in the worker too, so the
        # lost fan-out and the lost consolidation are recovered (the agency is told; the joint notice
        # of the round is drafted and its PDF stored)
        wait_for(lambda: Notification.objects.filter(assignment=assignment, kind="assignment").exists(),
                 timeout=30, what="fanout_sweep's re-dispatched notification")
        wait_for(lambda: IssuedDocument.objects.filter(round=rnd, kind=IssuedKind.JOINT_NOTICE).exclude(file="")
                 .exists(), timeout=60, what="consolidation_sweep's joint notice and its PDF")

        # the escalation sweep (电子监察) raised the overdue clock's supervision record to the centre leader
        wait_for(lambda: SupervisionRecord.objects.filter(clock_id=red_clock.pk, level=3).exists(), timeout=30,
                 what="escalation_sweep's supervision record")

        def succeeded(task: str) -> bool:
            return re.search(rf"{re.escape(task)}\[[^]]+\] succeeded", log_path.read_text(errors="replace")) is not None

        wait_for(lambda: succeeded("jointreview.notify_assignment") and succeeded("jointreview.consolidate_round"),
                 timeout=30, what="the re-dispatched tasks to end")
    finally:
        if scheduler is not None:
            scheduler.close()
        if worker is not None:
            worker.stop()
        server.stop()


def send_every_installed_entry(app, scheduler) -> tuple[list[str], dict[str, tuple[str, str]]]:
    """Send every enabled PeriodicTask row as beat does. Returns the problems found (an entry installed
    without its expiry, or one beat cannot send) and, per entry sent, its (task name, message id)."""
    from celery import beat
    from django_celery_beat.models import PeriodicTask

    from tasks.schedule import BEAT_SCHEDULE

    rows = list(PeriodicTask.objects.filter(enabled=True).order_by("name"))
    assert {r.name for r in rows} == set(BEAT_SCHEDULE) | BUILT_IN_ENTRIES
    problems: list[str] = []
    sent: dict[str, tuple[str, str]] = {}
    for row in rows:
        wanted = BEAT_SCHEDULE.get(row.name, {}).get("options", {}).get("expire_seconds")
        if row.name in BEAT_SCHEDULE and (not wanted or row.expire_seconds != wanted):
            problems.append(f"{row.name}: installed without its expiry (expire_seconds={row.expire_seconds}, "
                            f"options={BEAT_SCHEDULE[row.name].get('options')})")
        entry = scheduler.Entry(row, app=app)  # as DatabaseScheduler.all_as_schedule builds it
        try:
            # Scheduler.apply_entry's call (apply_entry itself would only log a failure)
            result = scheduler.apply_async(entry, producer=scheduler.producer, advance=False)
        except beat.SchedulingError as exc:
            problems.append(f"{row.name}: beat cannot send it: {exc}")
            continue
        sent[row.name] = (entry.task, result.id)
    return problems, sent


def worker_outcome(log_path, sent: dict[str, tuple[str, str]]) -> str | None:
    """The worker log says: "done" once every sent message succeeded, the failing line if one failed."""
    text = log_path.read_text(errors="replace")
    for name, (_task, task_id) in sent.items():
        for line in text.splitlines():
            if f"[{task_id}]" in line and FAILED.search(line):
                return f"{name}: {line}"
    done = all(f"{task}[{task_id}] succeeded in" in text for task, task_id in sent.values())
    return "done" if done else None
