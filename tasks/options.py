"""Every task's options, in one place (issue 9): a task names a profile and sets no limit of its own.

    @app.task(name="jointreview.fanout_sweep", **SWEEP)

A profile fixes all of a task's delivery options (``GOVERNED``): time limits, acknowledgement, what
happens when the worker process dies, retries. The global settings (``jointreview/settings/base.py``:
``CELERY_TASK_TIME_LIMIT`` 300 s, ``CELERY_TASK_SOFT_TIME_LIMIT`` 240 s, ``acks_late``, prefetch 1,
Redis ``visibility_timeout`` 3600 s) are the ceiling and the default of anything without a profile
(Celery's own ``celery.backend_cleanup``); every profile stays inside them:

- ``soft_time_limit < time_limit``: the soft limit raises ``SoftTimeLimitExceeded`` in the task (its
  transaction rolls back), the hard limit kills the child. Celery refuses to *send* a task whose soft
  limit exceeds its hard limit, and a task that set only ``time_limit`` inherited the global soft limit
  (240 s): that is how beat could never send ``fanout_sweep`` and ``consolidation_sweep``.
- A message is held unacknowledged (``acks_late``) while it waits behind the running task (prefetch 1),
  while it runs, and, for a retry, until its countdown is due (the worker holds an ETA message). Redis
  redelivers a message unacknowledged for ``visibility_timeout`` seconds to another worker, so
  ``2 * time_limit + longest retry delay`` must stay below half of it.
- ``reject_on_worker_lost`` (a killed child puts its message back) only for idempotent tasks.

The profiles:

``CLAIM``   a quick idempotent task that claims its row with a conditional update (the fan-out's
            ``notify_assignment``; ``noop``, its baseline in ``bench/fanout.py``): 60/50 s, requeued
            when the worker dies, transient errors (the database or the broker unreachable) retried 7
            times after 3, 6, 12, 24, 48, 60, 60 s: 213 s in all, so a task outlasts a database or
            broker outage of a minute (``OUTLASTS_OUTAGE_S``) and more. No jitter: with Celery's full
            jitter a delay is random between 0 and that value, so seven retries could all come at
            once and give up within seconds (``minimum_retry_window``); the cost is that the tasks
            that failed together retry together, a few hundred at most, against a database that has
            just come back.
``RENDER``  builds one document (the PDF renders, the joint notice of a round): idempotent, 120/100 s,
            retried like ``CLAIM``.
``RECOMPUTE`` recomputes every clock touching a year after a calendar change: idempotent, the global
            300/240 s, retried like ``CLAIM``.
``SWEEP``   a beat sweep: 120/100 s, never retried and never requeued when the worker dies: the next
            beat run is the retry (a requeue would only duplicate it, and repeat a run that kills its
            worker; the e-mail sweep is at-least-once). Each sweep works in bounded batches and is safe
            to run twice; the clock sweep commits per batch, so a soft limit keeps what it did and the
            next run goes on. Its beat entry's ``expire_seconds`` drops a run that waited longer than
            its period (``tasks/schedule.py``).
``PROBE``   ``celery_ping``'s round trip: 10/5 s, acknowledged on receipt, its result stored.

``check_profiles`` runs when this module is imported; ``check_registered`` when ``tasks.jobs`` has
imported every task module (a worker or beat with an inconsistent task does not start) and in
``tests/tasks/test_options.py``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from celery.schedules import crontab, schedule
from django.db import InterfaceError as DjangoInterfaceError
from django.db import OperationalError as DjangoOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

# What ``autoretry_for`` retries: only transient errors (database or broker connection); a
# programming error fails at once (and the sweeps decide).
TRANSIENT_ERRORS = (DjangoOperationalError, DjangoInterfaceError, BrokerOperationalError, ConnectionError)

# the task attributes a profile fixes besides its name and limits, and their values unless the profile
# says otherwise (Celery's defaults, except max_retries: 0, never retried)
_DEFAULTS: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": False,
    "ignore_result": True,
    "autoretry_for": (),
    "retry_backoff": False,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 0,
    "default_retry_delay": 180,
}
GOVERNED = ("options_profile", "time_limit", "soft_time_limit", *_DEFAULTS)

_RETRY_TRANSIENT = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 3,  # 3, 6, 12, 24, 48, 60, 60 s: at least 213 s before giving up
    "retry_backoff_max": 60,
    "retry_jitter": False,  # Celery's jitter is "full": a delay anywhere from 0 (see the docstring)
    "max_retries": 7,
}
# a retried task must not give up before an outage of this many seconds is over (issue 11)
OUTLASTS_OUTAGE_S = 60


def _profile(name: str, **options: Any) -> dict[str, Any]:
    return {**_DEFAULTS, "options_profile": name, **options}


CLAIM = _profile("claim", time_limit=60, soft_time_limit=50, reject_on_worker_lost=True, **_RETRY_TRANSIENT)
RENDER = _profile("render", time_limit=120, soft_time_limit=100, reject_on_worker_lost=True, **_RETRY_TRANSIENT)
RECOMPUTE = _profile("recompute", time_limit=300, soft_time_limit=240, reject_on_worker_lost=True,
                     **_RETRY_TRANSIENT)
SWEEP = _profile("sweep", time_limit=120, soft_time_limit=100)
PROBE = _profile("probe", time_limit=10, soft_time_limit=5, acks_late=False, ignore_result=False)

PROFILES: dict[str, dict[str, Any]] = {p["options_profile"]: p for p in (CLAIM, RENDER, RECOMPUTE, SWEEP, PROBE)}


def longest_retry_delay(options: Mapping[str, Any]) -> float:
    """The longest countdown of one retry (0 when the task is never retried)."""
    if not options.get("max_retries"):
        return 0
    if options.get("retry_backoff"):
        return float(options["retry_backoff_max"])
    return float(options["default_retry_delay"])


def retry_delays(options: Mapping[str, Any]) -> list[float]:
    """The countdown before each retry, at their shortest (Celery's full jitter may make any of them 0)."""
    retries = options.get("max_retries") or 0
    if not options.get("autoretry_for") or not retries:
        return []
    if options.get("retry_backoff"):
        factor, cap = float(options["retry_backoff"]), float(options["retry_backoff_max"])
        delays = [min(cap, factor * 2**n) for n in range(retries)]
        return [0.0] * retries if options.get("retry_jitter") else delays
    return [float(options["default_retry_delay"])] * retries


def minimum_retry_window(options: Mapping[str, Any]) -> float:
    """The least time between a task's first failure and its last retry: how long an outage it outlasts."""
    return sum(retry_delays(options))


def profile_problems(name: str, options: Mapping[str, Any], *, global_time_limit: float,
                     global_soft_time_limit: float, visibility_timeout: float) -> list[str]:
    """What is wrong with one profile's options, given the global settings (empty: nothing)."""
    problems = []
    missing = [key for key in GOVERNED if key not in options]
    if missing:
        return [f"{name}: missing {', '.join(missing)}"]
    hard, soft = options["time_limit"], options["soft_time_limit"]
    if not (hard and soft and 0 < soft < hard):
        problems.append(f"{name}: soft_time_limit ({soft}) must be set and below time_limit ({hard})")
    if hard and hard > global_time_limit or soft and soft > global_soft_time_limit:
        problems.append(f"{name}: limits {soft}/{hard} s exceed the global {global_soft_time_limit}/"
                        f"{global_time_limit} s")
    held = 2 * (hard or 0) + longest_retry_delay(options)
    if not held < visibility_timeout / 2:
        problems.append(f"{name}: a message may be held unacknowledged {held:.0f} s (2 x time_limit + longest "
                        f"retry delay), not well below the visibility timeout ({visibility_timeout} s)")
    if options["reject_on_worker_lost"] and not options["acks_late"]:
        problems.append(f"{name}: reject_on_worker_lost needs acks_late")
    if options["autoretry_for"] and not options["max_retries"]:
        problems.append(f"{name}: autoretry_for without max_retries")
    elif options["autoretry_for"] and not minimum_retry_window(options) > OUTLASTS_OUTAGE_S:
        problems.append(f"{name}: its retries may give up {minimum_retry_window(options):.0f} s after the first "
                        f"failure, before a {OUTLASTS_OUTAGE_S} s outage is over")
    return problems


def global_limits(conf) -> dict[str, float]:
    """The global settings a profile must respect, from the Celery app's configuration."""
    return {
        "global_time_limit": conf.task_time_limit,
        "global_soft_time_limit": conf.task_soft_time_limit,
        "visibility_timeout": (conf.broker_transport_options or {}).get("visibility_timeout", 3600),
    }


def settings_problems(conf) -> list[str]:
    """The global settings themselves and every profile against them."""
    limits = global_limits(conf)
    problems = []
    if not (0 < limits["global_soft_time_limit"] < limits["global_time_limit"] < limits["visibility_timeout"] / 2):
        problems.append(f"settings: CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < half the broker's "
                        f"visibility_timeout does not hold ({limits})")
    if not conf.task_acks_late or conf.worker_prefetch_multiplier != 1:
        problems.append("settings: CELERY_TASK_ACKS_LATE and CELERY_WORKER_PREFETCH_MULTIPLIER = 1 are assumed")
    for name, options in PROFILES.items():
        problems += profile_problems(name, options, **limits)
    return problems


def task_problems(tasks: Iterable[Any], *, prefix: str = "jointreview.") -> list[str]:
    """Every task named ``prefix...`` has a known profile and exactly its options (nothing ad hoc)."""
    problems = []
    for task in tasks:
        if not task.name.startswith(prefix):
            continue
        profile = PROFILES.get(getattr(task, "options_profile", None))
        if profile is None:
            problems.append(f"{task.name}: no profile (decorate it with **{' / **'.join(p.upper() for p in PROFILES)}"
                            " from tasks/options.py)")
            continue
        for key in GOVERNED:
            actual = getattr(task, key, None)
            expected = profile[key]
            if key == "autoretry_for":
                actual, expected = tuple(actual or ()), tuple(expected)
            if actual != expected:
                problems.append(f"{task.name}: {key}={actual!r}, but its profile {profile['options_profile']} says {expected!r}")
    return problems


def period_seconds(entry_schedule) -> float | None:
    """The period of a beat schedule (interval seconds, or the shortest gap of a daily crontab)."""
    if isinstance(entry_schedule, (int, float)):
        return float(entry_schedule)
    if isinstance(entry_schedule, crontab):
        runs_per_day = len(entry_schedule.hour) * len(entry_schedule.minute)
        return 86400 / runs_per_day if len(entry_schedule.day_of_week) == 7 else None
    if isinstance(entry_schedule, schedule):
        return entry_schedule.run_every.total_seconds()
    return None


def schedule_problems(beat_schedule: Mapping[str, Mapping[str, Any]], registry: Mapping[str, Any]) -> list[str]:
    """Every beat entry names a registered sweep and expires (as django-celery-beat stores it) within its period."""
    problems = []
    for name, entry in beat_schedule.items():
        task = registry.get(entry["task"])
        if task is None:
            problems.append(f"beat {name}: {entry['task']} is not a registered task")
        elif getattr(task, "options_profile", None) != SWEEP["options_profile"]:
            problems.append(f"beat {name}: {entry['task']} should use the SWEEP profile")
        options = dict(entry.get("options") or {})
        # DatabaseScheduler keeps only queue, exchange, routing_key, priority, headers and
        # expire_seconds of an entry's options: anything else (``expires``!) is silently dropped
        dropped = set(options) - {"queue", "exchange", "routing_key", "priority", "headers", "expire_seconds"}
        if dropped:
            problems.append(f"beat {name}: options {sorted(dropped)} are dropped by DatabaseScheduler")
        period = period_seconds(entry["schedule"])
        expire = options.get("expire_seconds")
        if not expire or period is None or not 0 < expire <= period:
            problems.append(f"beat {name}: expire_seconds ({expire}) must be set and at most its period ({period} s)")
    return problems


def check_profiles(conf) -> None:
    problems = settings_problems(conf)
    if problems:
        raise RuntimeError("inconsistent Celery task options:\n" + "\n".join(problems))


def check_registered(app) -> None:
    """Raise if a registered ``jointreview.*`` task or a beat entry does not follow its profile."""
    problems = settings_problems(app.conf) + task_problems(app.tasks.values())
    problems += schedule_problems(app.conf.beat_schedule, app.tasks)
    if problems:
        raise RuntimeError("inconsistent Celery task options:\n" + "\n".join(problems))


def _check_at_import() -> None:
    from .app import app

    check_profiles(app.conf)


_check_at_import()
