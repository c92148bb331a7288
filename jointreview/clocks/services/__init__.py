"""Statutory clocks and the working-day calendar: the only writers of Clock, ClockEvent,
DeadlineChange, CalendarDay and CalendarYear (docs/domain.md §4).

The truth of a clock is its append-only event list; the fields on ``Clock`` cache the last
evaluation (``workdays.evaluate``) and are refreshed by every event, by the beat sweep
(``clock_sweep``) and by ``calendar_recompute`` when the calendar changes.

One module per family of actions (docs/architecture.md §2.3), all re-exported here:

- ``events``: ``clock_create``, ``clocks_start_new`` (many new clocks started at once), ``clock_start`` / ``pause`` / ``resume`` / ``extend`` / ``stop``,
  ``clock_status``, ``clock_refresh``;
- ``sweep``: ``clock_sweep`` (beat);
- ``budgets``: ``project_budget_refresh`` (the cached project lights, transitions returned once);
- ``calendar``: ``calendar_parse``, ``calendar_import``, ``calendar_recompute``,
  ``calendar_missing_year_check``, ``calendar_day_set``, ``calendar_day_delete``;
- ``common``: evaluation of the stored events, the cached fields, notices to the centre.
"""
from jointreview.clocks.services.budgets import project_budget_refresh
from jointreview.clocks.services.calendar import (
    calendar_day_delete,
    calendar_day_set,
    calendar_import,
    calendar_missing_year_check,
    calendar_parse,
    calendar_recompute,
)
from jointreview.clocks.services.events import (
    clock_create,
    clock_extend,
    clock_pause,
    clock_refresh,
    clock_resume,
    clock_start,
    clock_status,
    clock_stop,
    clocks_start_new,
)
from jointreview.clocks.services.sweep import clock_sweep

__all__ = [
    "clock_create",
    "clock_start",
    "clocks_start_new",
    "clock_pause",
    "clock_resume",
    "clock_extend",
    "clock_stop",
    "clock_status",
    "clock_refresh",
    "clock_sweep",
    "project_budget_refresh",
    "calendar_parse",
    "calendar_import",
    "calendar_recompute",
    "calendar_missing_year_check",
    "calendar_day_set",
    "calendar_day_delete",
]
