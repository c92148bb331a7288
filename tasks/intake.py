"""Celery tasks of the intake and the fan-out: thin, ids in, one service call (docs/architecture.md §4)."""
from __future__ import annotations

from .app import TRANSIENT_ERRORS, app


def _notify_failed(self, exc, task_id, args, kwargs, einfo):
    from jointreview.intake.fanout import assignment_notify_failed

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
    from jointreview.intake.fanout import assignment_notify

    return assignment_notify(assignment_id=assignment_id)


@app.task(name="jointreview.fanout_sweep", acks_late=True, reject_on_worker_lost=True, time_limit=50)
def fanout_sweep(older_than_s: int = 60, batch: int = 200) -> dict:
    """Beat: re-dispatch assignments whose notification is still pending (safe to run twice)."""
    from jointreview.intake.fanout import fanout_sweep as service

    return service(older_than_s=older_than_s, batch=batch)
