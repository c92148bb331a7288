"""Working-day calendar and pure clock evaluation (no Django, no ORM).

Precedence for a date (docs/domain.md §4.3):

1. ``overrides`` (the centre-maintained ``HolidayOverride`` table) always win;
2. a year in ``official_years`` (official schedule imported by the centre) is Mon-Fri
   apart from its overrides, and the package data for that year is ignored;
3. a year covered by the ``chinese_calendar`` package uses the package data;
4. any other date counts Mon-Fri and is *provisional* (must be recomputed when data arrives).

Counting follows 民法典 §201/§203: the start day is not counted and a deadline on a
non-working day rolls forward.  All queries are O(1) on precomputed arrays inside the
precomputed span and O(1) Mon-Fri arithmetic outside it.
"""

from __future__ import annotations

from jointreview.workdays.calendar import WEEKEND as WEEKEND
from jointreview.workdays.calendar import WorkCalendar, default_calendar
from jointreview.workdays.clock import EVENT_KINDS as EVENT_KINDS
from jointreview.workdays.clock import ClockError, ClockEvent, ClockStatus, evaluate, validate
from jointreview.workdays.clock import Policy as Policy
from jointreview.workdays.clock import Unit as Unit

__all__ = [
    "ClockError",
    "ClockEvent",
    "ClockStatus",
    "WorkCalendar",
    "default_calendar",
    "evaluate",
    "validate",
]
