"""Celery tasks of the intake and the fan-out: thin, ids in, one service call (DESIGN.md 4)."""
from __future__ import annotations

from django.db import InterfaceError as DjangoInterfaceError
from django.db import OperationalError as DjangoOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

from .app import app

# Only transient errors are retried; a programming error fails at once (and the sweep decides).
TRANSIENT_ERRORS = (DjangoOperationalError, DjangoInterfaceError, BrokerOperationalError, ConnectionError)


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


@app.task(
    name="jointreview.render_issued_document",
    acks_late=True,
    reject_on_worker_lost=True,  # idempotent: renders only when the file is missing
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_jitter=True,
    max_retries=5,
)
def render_issued_document(issued_id: int, force: bool = False) -> None:
    """Render and store the PDF of an issued document (the one-time notice)."""
    from jointreview.services.intake import issued_document_render

    issued_document_render(issued_id=issued_id, force=force)
