"""tasks/options.py: every task takes its options from one profile, consistent with the settings (issue 9)."""
from __future__ import annotations

import pytest
from celery import Celery
from celery.schedules import crontab

import tasks.jobs  # noqa: F401 - registers every task (and runs check_registered)
from tasks import options
from tasks.app import app
from tasks.options import CLAIM, PROFILES, RENDER, SWEEP
from tasks.schedule import BEAT_SCHEDULE

LIMITS = options.global_limits(app.conf)


def _body():
    return None


def jointreview_tasks():
    return {name: task for name, task in app.tasks.items() if name.startswith("jointreview.")}


def test_the_settings_and_every_profile_are_consistent():
    assert LIMITS == {"global_time_limit": 300, "global_soft_time_limit": 240, "visibility_timeout": 3600}
    assert options.settings_problems(app.conf) == []
    for name, profile in PROFILES.items():
        assert profile["soft_time_limit"] < profile["time_limit"] <= 300, name
        assert 2 * profile["time_limit"] + options.longest_retry_delay(profile) < 3600 / 2, name


def test_every_registered_task_follows_its_profile_and_nothing_else():
    found = jointreview_tasks()
    assert options.task_problems(found.values()) == []
    assert {name: task.options_profile for name, task in found.items()} == {
        "jointreview.ping": "probe",
        "jointreview.noop": "claim",
        "jointreview.notify_assignment": "claim",
        "jointreview.render_issued_document": "render",
        "jointreview.consolidate_round": "render",
        "jointreview.calendar_recompute": "recompute",
        "jointreview.clock_sweep": "sweep",
        "jointreview.calendar_missing_year_check": "sweep",
        "jointreview.fanout_sweep": "sweep",
        "jointreview.consolidation_sweep": "sweep",
        "jointreview.notification_email_sweep": "sweep",
        "jointreview.escalation_sweep": "sweep",
        "jointreview.render_sweep": "sweep",
        "jointreview.orphan_file_sweep": "sweep",
    }  # and no second name for a task (the old alias jointreview.render_review_document is gone)
    for task in found.values():  # what Celery checks before it sends one (the beat sweeps' old failure)
        assert task.soft_time_limit < task.time_limit


def test_every_task_whose_publish_can_be_lost_names_what_redoes_it():
    """services.queue logs RETRIED_BY[task] when a publish fails: every task a service sends names its
    sweep (or fallback), and the sweep it names is a beat entry."""
    from jointreview.services.queue import RETRIED_BY

    sent_by_services = {"jointreview.notify_assignment", "jointreview.consolidate_round",
                        "jointreview.render_issued_document", "jointreview.calendar_recompute"}
    assert set(RETRIED_BY) == sent_by_services
    beat_tasks = {entry["task"].removeprefix("jointreview.") for entry in BEAT_SCHEDULE.values()}
    for task, retried_by in RETRIED_BY.items():
        assert any(sweep in retried_by for sweep in beat_tasks), (task, retried_by)


def test_every_beat_entry_is_a_sweep_that_django_celery_beat_installs_with_its_expiry():
    assert options.schedule_problems(BEAT_SCHEDULE, app.tasks) == []
    assert {entry["task"] for entry in BEAT_SCHEDULE.values()} <= {
        name for name, task in jointreview_tasks().items() if task.options_profile == "sweep"}


def test_a_task_registered_without_a_profile_or_with_its_own_limits_is_refused():
    name = "jointreview.test_rogue"
    app.task(name=name, time_limit=50, shared=False)(_body)  # the old shape of fanout_sweep
    try:
        with pytest.raises(RuntimeError, match=r"jointreview.test_rogue: no profile"):
            options.check_registered(app)
    finally:
        app.tasks.unregister(name)
    options.check_registered(app)  # the real registry is fine again

    other = Celery("options-probe", set_as_current=False)
    other.conf.update(task_time_limit=300, task_soft_time_limit=240)
    other.task(name="jointreview.a", **{**SWEEP, "time_limit": 50}, shared=False)(_body)
    other.task(name="jointreview.b", **{**CLAIM, "max_retries": 9}, shared=False)(_body)
    other.task(name="jointreview.c", **RENDER, shared=False)(_body)
    other.task(name="elsewhere.d", shared=False)(_body)  # not ours: the global settings apply
    problems = options.task_problems(other.tasks.values())
    assert problems == [
        "jointreview.a: time_limit=50, but its profile sweep says 120",
        "jointreview.b: max_retries=9, but its profile claim says 7",
    ]
    with pytest.raises(TypeError, match="multiple values"):  # a profile plus an ad hoc limit does not even import
        other.task(name="jointreview.e", time_limit=5, shared=False, **SWEEP)


def test_inconsistent_limits_are_named():
    def problems(**changes):
        return options.profile_problems("p", {**SWEEP, **changes}, **LIMITS)

    assert problems() == []
    assert "soft_time_limit (240) must be set and below time_limit (50)" in problems(time_limit=50, soft_time_limit=240)[0]
    assert "must be set" in problems(soft_time_limit=None)[0]
    assert "exceed the global" in problems(time_limit=600, soft_time_limit=500)[0]
    assert any("visibility timeout" in p for p in options.profile_problems(
        "p", {**SWEEP, "time_limit": 1000, "soft_time_limit": 900}, global_time_limit=3000,
        global_soft_time_limit=2000, visibility_timeout=3600))
    assert any("visibility timeout" in p for p in problems(max_retries=3, retry_backoff=2, retry_backoff_max=1800))
    assert "needs acks_late" in problems(acks_late=False, reject_on_worker_lost=True)[0]
    assert "missing" in options.profile_problems("p", {"time_limit": 10}, **LIMITS)[0]


def test_beat_options_that_database_scheduler_would_drop_or_a_missing_expiry_are_named():
    bad = {
        "celery-expires": {"task": "jointreview.fanout_sweep", "schedule": 60.0, "options": {"expires": 50}},
        "too-long": {"task": "jointreview.clock_sweep", "schedule": 600.0, "options": {"expire_seconds": 900}},
        "daily": {"task": "jointreview.calendar_missing_year_check", "schedule": crontab(hour=7, minute=30),
                  "options": {"expire_seconds": 6 * 3600}},
        "not-a-sweep": {"task": "jointreview.notify_assignment", "schedule": 60.0,
                        "options": {"expire_seconds": 50}},
        "unknown": {"task": "jointreview.nothing", "schedule": 60.0, "options": {"expire_seconds": 50}},
    }
    problems = options.schedule_problems(bad, app.tasks)
    assert problems == [
        "beat celery-expires: options ['expires'] are dropped by DatabaseScheduler",
        "beat celery-expires: expire_seconds (None) must be set and at most its period (60.0 s)",
        "beat too-long: expire_seconds (900) must be set and at most its period (600.0 s)",
        "beat not-a-sweep: jointreview.notify_assignment should use the SWEEP profile",
        "beat unknown: jointreview.nothing is not a registered task",
    ]


def test_retried_tasks_outlast_a_minute_long_outage_whatever_the_jitter():
    retried = {name: p for name, p in PROFILES.items() if p["autoretry_for"]}
    assert set(retried) == {"claim", "render", "recompute"}
    for name, profile in retried.items():
        assert options.retry_delays(profile) == [3, 6, 12, 24, 48, 60, 60], name
        assert options.minimum_retry_window(profile) == 213 > 60, name
    # Celery's full jitter draws each delay from 0 up to its value: the old 5 retries after "2..32 s"
    # could all come at once, seconds after the first failure
    old = {**CLAIM, "retry_backoff": 2, "retry_jitter": True, "max_retries": 5}
    assert options.minimum_retry_window(old) == 0
    assert any("before a 60 s outage is over" in p for p in options.profile_problems("p", old, **LIMITS))
    short = {**CLAIM, "retry_jitter": False, "retry_backoff": 2, "max_retries": 4}  # 2+4+8+16 = 30 s
    assert options.minimum_retry_window(short) == 30
    assert any("give up 30 s after" in p for p in options.profile_problems("p", short, **LIMITS))
    # and what Celery itself computes for each retry agrees (no jitter: exactly these countdowns)
    from celery.utils.time import get_exponential_backoff_interval

    assert [get_exponential_backoff_interval(factor=3, retries=n, maximum=60, full_jitter=False)
            for n in range(7)] == options.retry_delays(CLAIM)
