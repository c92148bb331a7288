"""Celery tasks of 电子监察 (jointreview/supervision): thin, one service call."""
from __future__ import annotations

from .app import app
from .options import SWEEP


@app.task(name="jointreview.escalation_sweep", **SWEEP)
def escalation_sweep() -> dict:
    """Beat: alert once per transition (clock lights, unanswered supervision records, overdue 容缺)."""
    from jointreview.supervision.services import escalation_sweep as service

    return service()
