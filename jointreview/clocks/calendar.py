"""The centre's working-day calendar: the chinese-calendar package + CalendarYear + CalendarDay.

``get_calendar()`` returns a :class:`jointreview.workdays.WorkCalendar` built from

1. ``CalendarDay`` rows (centre-maintained days; they always win),
2. ``CalendarYear`` rows (years whose official schedule was imported: Mon-Fri + their CalendarDay rows),
3. the ``chinese_calendar`` package for the years it covers (2004-2026 with 1.11.0),
4. Mon-Fri for anything else, marked provisional.

Caching (hot paths call ``get_calendar()`` per clock evaluation, so it must cost nothing):

- The built calendar is kept in a module-level cache of this process together with a fingerprint
  of the two tables (every CalendarDay's date/is_workday/name + the CalendarYear years).
- A call returns the cached calendar without touching the database while the last check is younger
  than ``settings.JR_CALENDAR_RECHECK_SECONDS`` (default 60 s). After that, one call re-reads the
  two small tables (two queries, a few hundred rows at most) and rebuilds only if the fingerprint
  changed. This also covers edits made in the Django admin and by other processes.
- ``invalidate_calendar()`` forces the next call to re-check at once. The services that change the
  tables call it on commit (``calendar_import``) and the recompute task calls it before it starts,
  so the process that made the change and the worker that recomputes never see a stale calendar.
  Nothing is ever cached from inside an uncommitted transaction by the import itself.
"""
from __future__ import annotations

import threading
import time
from datetime import date

from django.conf import settings

from jointreview.workdays import WorkCalendar

__all__ = ["get_calendar", "invalidate_calendar", "build_calendar", "missing_years"]

_lock = threading.Lock()
_cache: dict[str, object] = {"calendar": None, "key": None, "checked": float("-inf")}


def _recheck_seconds() -> float:
    return float(getattr(settings, "JR_CALENDAR_RECHECK_SECONDS", 60))


def _read_tables() -> tuple[tuple, dict[date, tuple[bool, str]], list[int]]:
    from jointreview.models import CalendarDay, CalendarYear

    days = tuple(CalendarDay.objects.order_by("date").values_list("date", "is_workday", "name"))
    years = sorted(CalendarYear.objects.values_list("year", flat=True))
    overrides = {d: (bool(work), name or "") for d, work, name in days}
    return (days, tuple(years)), overrides, years


def build_calendar() -> WorkCalendar:
    """Build a fresh calendar from the tables (uncached; reads the current transaction's view)."""
    _key, overrides, years = _read_tables()
    return WorkCalendar(overrides, years)


def get_calendar() -> WorkCalendar:
    """The centre's calendar (cached in-process; see the module docstring for invalidation)."""
    now = time.monotonic()
    cal = _cache["calendar"]
    if cal is not None and now - _cache["checked"] < _recheck_seconds():  # type: ignore[operator]
        return cal  # type: ignore[return-value]
    with _lock:
        key, overrides, years = _read_tables()
        if _cache["calendar"] is None or key != _cache["key"]:
            _cache["calendar"] = WorkCalendar(overrides, years)
            _cache["key"] = key
        _cache["checked"] = time.monotonic()
        return _cache["calendar"]  # type: ignore[return-value]


def invalidate_calendar() -> None:
    """Make the next ``get_calendar()`` re-read the tables (rebuilding only if they changed)."""
    _cache["checked"] = float("-inf")


def missing_years(*, today: date | None = None) -> list[int]:
    """Years the centre should import now: the current year if it has no data, and from
    1 November on the next year (the 国办 notice comes out around then)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    calendar = get_calendar()
    years = [] if calendar.has_data_for(today.year) else [today.year]
    if today.month >= 11 and not calendar.has_data_for(today.year + 1):
        years.append(today.year + 1)
    return years
