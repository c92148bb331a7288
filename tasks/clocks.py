"""Celery tasks of the clocks and the calendar: thin, ids/plain values in, one service call."""
from __future__ import annotations

from .app import app
from .options import RECOMPUTE, SWEEP


@app.task(name="jointreview.calendar_recompute", **RECOMPUTE)
def calendar_recompute(year: int | None = None, cause: str = "calendar changed") -> dict:
    """Recompute the clocks touching ``year`` after the calendar changed (idempotent)."""
    from jointreview.clocks.services import calendar_recompute as service

    return service(year=year, cause=cause)


@app.task(name="jointreview.clock_sweep", **SWEEP)
def clock_sweep() -> dict:
    """Beat: move clocks to yellow/red with conditional updates (safe to run twice)."""
    from jointreview.clocks.services import clock_sweep as service

    return service()


@app.task(name="jointreview.calendar_missing_year_check", **SWEEP)
def calendar_missing_year_check() -> list:
    """Beat: warn the centre admins from 1 November when next year's schedule is missing."""
    from jointreview.clocks.services import calendar_missing_year_check as service

    return service()
