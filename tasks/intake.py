"""Celery tasks of the intake and the fan-out: thin, ids in, one service call (DESIGN.md 4)."""
from __future__ import annotations

import os

from celery.signals import task_postrun, worker_process_init

from .app import TRANSIENT_ERRORS, app


@worker_process_init.connect
def _keep_database_connections(**_kwargs) -> None:
    """Worker children keep their PostgreSQL connection between tasks.

    Celery's Django fixup closes every connection before and after every task unless
    ``db_reuse_max`` is set; opening a PostgreSQL connection (~5-10 ms) costs more than a whole
    notify task, so the fan-out would be dominated by it. Instead, connections live for
    ``JR_WORKER_CONN_MAX_AGE`` seconds (default 600; 0 restores close-after-every-task) and, after each
    task, Django's ``close_old_connections`` drops those that are too old or broken (exactly what
    Django does at the end of a request).
    """
    from django.db import connections

    max_age = int(os.environ.get("JR_WORKER_CONN_MAX_AGE", "600"))
    if max_age <= 0:
        return
    for conn in connections.all():
        conn.settings_dict["CONN_MAX_AGE"] = max_age
    for fixup in getattr(app, "_fixups", []):
        worker_fixup = getattr(fixup, "_worker_fixup", None)
        if worker_fixup is not None:
            worker_fixup.db_reuse_max = 10**9  # never the unconditional close
    _reuse["on"] = True


_reuse = {"on": False}


@task_postrun.connect
def _close_old_connections(**_kwargs) -> None:
    if _reuse["on"]:
        from django.db import close_old_connections

        close_old_connections()


def _notify_failed(self, exc, task_id, args, kwargs, einfo):
    from jointreview.services.fanout import assignment_notify_failed

    assignment_notify_failed(assignment_id=kwargs.get("assignment_id"), error=repr(exc))


@app.task(
    name="jointreview.notify_assignment",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,  # idempotent: the service claims the row with a conditional update
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
    on_failure=_notify_failed,
    time_limit=60,
    soft_time_limit=50,
)
def notify_assignment(self, assignment_id: int) -> bool:
    """Notify the agency of one new assignment (exactly once, however often it runs)."""
    from jointreview.services.fanout import assignment_notify

    return assignment_notify(assignment_id=assignment_id)


@app.task(name="jointreview.fanout_sweep", acks_late=True, reject_on_worker_lost=True, time_limit=50)
def fanout_sweep(older_than_s: int = 60, batch: int = 200) -> dict:
    """Beat: re-dispatch assignments whose notification is still pending (safe to run twice)."""
    from jointreview.services.fanout import fanout_sweep as service

    return service(older_than_s=older_than_s, batch=batch)
