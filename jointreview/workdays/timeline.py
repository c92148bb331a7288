"""The project timeline: government time in the union of intervals after the filing date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from jointreview.workdays.calendar import WorkCalendar
from jointreview.workdays.common import _check_count, _check_date


@dataclass(frozen=True, slots=True)
class TimelineStatus:
    """Project-level government time: ``used`` counts overlapping intervals once."""

    used: int
    remaining: int
    projected_finish: date
    red: bool
    provisional: bool = False


def timeline(
    intervals: Iterable[tuple[date, date | None]],
    *,
    filing_date: date,
    target: int,
    calendar: WorkCalendar,
    today: date,
) -> TimelineStatus:
    """Working days of government time in the union of ``intervals`` after ``filing_date``.

    Each interval counts like a clock: working days in (start, end]; ``end=None`` means
    still running (until ``today``).  Ends after ``today`` are clipped to ``today``.
    """
    f = _check_date(filing_date, "filing_date")
    t = _check_date(today, "today")
    _check_count(target, "target")
    spans: list[tuple[int, int]] = []
    for idx, item in enumerate(intervals):
        try:
            start, end = item
        except (TypeError, ValueError):
            raise ValueError(f"interval #{idx} must be a (start, end|None) pair, got {item!r}") from None
        s = _check_date(start, f"interval #{idx} start")
        if end is None:
            e = t
        else:
            e = _check_date(end, f"interval #{idx} end")
            if e < s:
                raise ValueError(f"interval #{idx} ends ({end}) before it starts ({start})")
        s, e = max(s, f), min(e, t)
        if e > s:
            spans.append((s, e))
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    count = calendar._count
    used = sum(count(e) - count(s) for s, e in merged)
    remaining = target - used
    finish = calendar.add(date.fromordinal(t), max(remaining, 0))
    provisional = calendar.span_provisional(date.fromordinal(min(f, t)), finish)
    return TimelineStatus(used, remaining, finish, used > target, provisional)
