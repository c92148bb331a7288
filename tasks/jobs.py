"""Every Celery task: thin functions, ids in, one service call, retries. Stable explicit names."""
from __future__ import annotations

import time

from .app import app
from .options import CLAIM, PROBE, SWEEP, check_registered


@app.task(name="jointreview.ping", **PROBE)
def ping(sent_at: float) -> dict:
    """Round-trip check used by `manage.py celery_ping`."""
    return {"sent_at": sent_at, "answered_at": time.time()}

from . import clocks  # noqa: E402,F401


@app.task(name="jointreview.noop", **CLAIM)
def noop(n: int = 0) -> None:
    """Does nothing: the baseline of bench/fanout.py (broker + worker overhead of one task; the same
    delivery options as notify_assignment, whose baseline it is)."""
    return None


@app.task(name="jointreview.notification_email_sweep", **SWEEP)
def notification_email_sweep() -> dict:
    """Beat: send the e-mail copies of recent notifications (retried on the next run if the server fails)."""
    from jointreview.audit.mail import notification_email_sweep as sweep

    return sweep()


from . import documents, intake, review, supervision  # noqa: E402,F401

# every task module is imported: a task without its profile, or a beat entry that beat could not
# send, stops the worker and beat here, at start (tasks/options.py)
check_registered(app)
