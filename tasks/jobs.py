"""Every Celery task: thin functions, ids in, one service call, retries. Stable explicit names."""
from __future__ import annotations

import time

from .app import app


@app.task(name="jointreview.ping", ignore_result=False, acks_late=False)
def ping(sent_at: float) -> dict:
    """Round-trip check used by `manage.py celery_ping`."""
    return {"sent_at": sent_at, "answered_at": time.time()}

from . import clocks  # noqa: E402,F401


@app.task(name="jointreview.noop", acks_late=True)
def noop(n: int = 0) -> None:
    """Does nothing: the baseline of bench/fanout.py (broker + worker overhead of one task)."""
    return None


@app.task(name="jointreview.notification_email_sweep", acks_late=True, time_limit=120, soft_time_limit=100)
def notification_email_sweep() -> dict:
    """Beat: send the e-mail copies of recent notifications (retried on the next run if the server fails)."""
    from jointreview.audit.mail import notification_email_sweep as sweep

    return sweep()


from . import documents, intake, review  # noqa: E402,F401
