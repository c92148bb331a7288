"""Ordinal arithmetic and argument checks shared by the calendar, the clock and the timeline."""

from __future__ import annotations

from datetime import date, datetime

_MAX_ORD = date.max.toordinal()


def _weekdays_upto(o: int) -> int:
    """Number of Mon-Fri days with ordinal in [1, o] (ordinal 1 is a Monday)."""
    return 5 * (o // 7) + min(o % 7, 5)


def _kth_weekday(k: int) -> int:
    """Ordinal of the k-th Mon-Fri day counted from ordinal 1 (k >= 1)."""
    q, r = divmod(k - 1, 5)
    return 7 * q + r + 1


def _check_date(d: object, name: str = "date") -> int:
    """Return the ordinal of a plain ``datetime.date``; ValueError otherwise."""
    if d.__class__ is date:
        return d.toordinal()  # type: ignore[attr-defined]
    if isinstance(d, datetime):
        raise ValueError(
            f"{name} must be a datetime.date, got a datetime ({d!r}); convert it with localdate() first"
        )
    if isinstance(d, date):
        return d.toordinal()
    raise ValueError(f"{name} must be a datetime.date, got {type(d).__name__} ({d!r})")


def _check_count(n: object, name: str = "n") -> int:
    if n.__class__ is not int or n < 0:  # type: ignore[operator]
        if isinstance(n, bool) or not isinstance(n, int):
            raise ValueError(f"{name} must be a non-negative int, got {type(n).__name__} ({n!r})")
        if n < 0:
            raise ValueError(f"{name} must be >= 0, got {n}")
    return n  # type: ignore[return-value]


def _from_ordinal(o: int) -> date:
    if not 1 <= o <= _MAX_ORD:
        raise ValueError("date arithmetic left the supported date range")
    return date.fromordinal(o)
