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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Literal

import chinese_calendar

__all__ = [
    "ClockError",
    "ClockEvent",
    "ClockStatus",
    "TimelineStatus",
    "WorkCalendar",
    "default_calendar",
    "evaluate",
    "timeline",
    "validate",
]

Unit = Literal["working", "natural"]
Policy = Literal["resume", "restart"]
EVENT_KINDS = frozenset({"start", "pause", "resume", "extend", "stop"})
WEEKEND = "weekend"
_WEEKEND_ZH = "周末"
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


def _package_chinese_name(name: str) -> str:
    try:
        return chinese_calendar.Holiday(name).chinese
    except ValueError:
        return name


class WorkCalendar:
    """Working-day calendar: package data + official years + centre overrides."""

    def __init__(
        self,
        overrides: Mapping[date, tuple[bool, str]] | None = None,
        official_years: Iterable[int] = (),
        *,
        margin_years: int = 3,
        package_holidays: Mapping[date, str] | None = None,
        package_workdays: Mapping[date, str] | None = None,
    ) -> None:
        """``package_*`` default to the installed ``chinese_calendar`` data (injectable for tests)."""
        holidays = chinese_calendar.holidays if package_holidays is None else package_holidays
        workdays = chinese_calendar.workdays if package_workdays is None else package_workdays
        _check_count(margin_years, "margin_years")
        overrides = dict(overrides or {})
        self.official_years: frozenset[int] = frozenset(int(y) for y in official_years)
        for d, value in overrides.items():
            _check_date(d, "override date")
            if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool)):
                raise ValueError(f"override for {d} must be (is_workday: bool, name: str), got {value!r}")

        package_dates = [*holidays.keys(), *workdays.keys()]
        if package_dates:
            self.package_years: tuple[int, int] | None = (
                min(package_dates).year,
                max(package_dates).year,
            )
        else:
            self.package_years = None

        known_years = [d.year for d in overrides] + list(self.official_years)
        if self.package_years:
            known_years += list(self.package_years)
        if not known_years:
            known_years = [date.today().year]  # no data at all: everything is provisional
        first_year = min(known_years)
        last_year = min(max(known_years) + margin_years, date.max.year - 1)

        lo = date(first_year, 1, 1).toordinal()
        hi = date(last_year, 12, 31).toordinal()
        self._lo, self._hi = lo, hi
        self._base = lo - 1  # cumulative arrays are indexed by ordinal - base
        size = hi - lo + 1

        is_work = bytearray(size)
        provisional = bytearray(size)
        names: dict[int, tuple[str, str]] = {}
        pkg_lo, pkg_hi = self.package_years or (1, 0)
        for i in range(size):
            o = lo + i
            d = date.fromordinal(o)
            weekday_work = d.weekday() < 5
            y = d.year
            if d in overrides:
                work, name = overrides[d]
                if not work:
                    names[o] = (name, name)
            elif y in self.official_years:
                work = weekday_work
            elif pkg_lo <= y <= pkg_hi:
                if d in workdays:
                    work = True
                elif d in holidays:
                    work = False
                    pkg_name = holidays[d]
                    names[o] = (pkg_name, _package_chinese_name(pkg_name))
                else:
                    work = weekday_work
            else:
                work = weekday_work
                provisional[i] = 1
            is_work[i] = work

        cum = [0] * (size + 1)
        cum_prov = [0] * (size + 1)
        work_ords: list[int] = []
        c = p = 0
        for i in range(size):
            if is_work[i]:
                c += 1
                work_ords.append(lo + i)
            p += provisional[i]
            cum[i + 1] = c
            cum_prov[i + 1] = p

        self._is_work = bytes(is_work)
        self._prov = bytes(provisional)
        self._cum = cum
        self._cum_prov = cum_prov
        self._work_ords = work_ords
        self._total = c
        self._names = names
        self._bind_fast_paths()

    # -- internals (ordinals) -------------------------------------------------
    def _bind_fast_paths(self) -> None:
        """Build the ordinal helpers as closures over local arrays (hot paths of evaluate/add)."""
        lo, hi, base = self._lo, self._hi, self._base
        is_work = self._is_work
        cum, cum_prov, work_ords, total = self._cum, self._cum_prov, self._work_ords, self._total
        n_work, n_cum = len(is_work), len(cum)
        before = _weekdays_upto(lo - 1)  # Mon-Fri count up to the span start
        after = _weekdays_upto(hi)

        def work_ord(o: int) -> bool:
            i = o - lo
            if 0 <= i < n_work:
                return is_work[i] == 1
            return (o - 1) % 7 < 5

        def count(o: int) -> int:
            """W(o): working days with ordinal <= o, relative to the span start (may be negative)."""
            i = o - base
            if 0 <= i < n_cum:
                return cum[i]
            if i < 0:
                return _weekdays_upto(o) - before
            return total + _weekdays_upto(o) - after

        def nth(k: int) -> int:
            """Smallest ordinal o with W(o) >= k (always a working day)."""
            if 0 < k <= total:
                return work_ords[k - 1]
            if k <= 0:
                return _kth_weekday(k + before)
            return _kth_weekday(k - total + after)

        def add_ord(o: int, n: int) -> int:
            if n:
                return nth(count(o) + n)
            return o if work_ord(o) else nth(count(o) + 1)

        def add_natural_ord(o: int, n: int) -> int:
            o += n
            return o if work_ord(o) else nth(count(o) + 1)

        def span_provisional_ord(oa: int, ob: int) -> bool:
            if ob < oa:
                oa, ob = ob, oa
            if oa < lo or ob > hi:
                return True
            return cum_prov[ob - base] != cum_prov[oa - base - 1]

        self._work_ord: Callable[[int], bool] = work_ord
        self._count: Callable[[int], int] = count
        self._nth: Callable[[int], int] = nth
        self._add_ord: Callable[[int, int], int] = add_ord
        self._add_natural_ord: Callable[[int, int], int] = add_natural_ord
        self._span_provisional_ord: Callable[[int, int], bool] = span_provisional_ord

    # -- public API -----------------------------------------------------------
    @property
    def span(self) -> tuple[date, date]:
        """First and last day of the precomputed span."""
        return date.fromordinal(self._lo), date.fromordinal(self._hi)

    def has_data_for(self, year: int) -> bool:
        """True if the year is covered by the package or imported as official."""
        if year in self.official_years:
            return True
        return self.package_years is not None and self.package_years[0] <= year <= self.package_years[1]

    def is_workday(self, d: date) -> bool:
        return self._work_ord(_check_date(d))

    def day_name(self, d: date, *, chinese: bool = False) -> str | None:
        """Holiday/override name, ``"weekend"`` for other rest days, None for working days."""
        o = _check_date(d)
        if self._work_ord(o):
            return None
        pair = self._names.get(o)
        if pair is None:
            return _WEEKEND_ZH if chinese else WEEKEND
        return pair[1] if chinese else pair[0]

    def add(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (start not counted); n=0 -> start or next workday."""
        o = _check_date(start, "start")
        return _from_ordinal(self._add_ord(o, _check_count(n)))

    def add_natural(self, start: date, n: int) -> date:
        """``start + n`` natural days, rolled forward to a working day (民法典 §203)."""
        return _from_ordinal(self._add_natural_ord(_check_date(start, "start"), _check_count(n)))

    def between(self, a: date, b: date) -> int:
        """Working days in (a, b]; 0 if b <= a."""
        oa, ob = _check_date(a, "a"), _check_date(b, "b")
        if ob <= oa:
            return 0
        return self._count(ob) - self._count(oa)

    def next_workday(self, d: date) -> date:
        """First working day strictly after ``d``."""
        return _from_ordinal(self._nth(self._count(_check_date(d)) + 1))

    def is_provisional(self, d: date) -> bool:
        o = _check_date(d)
        i = o - self._lo
        if 0 <= i < len(self._prov):
            return bool(self._prov[i])
        return True

    def span_provisional(self, a: date, b: date) -> bool:
        """True if any date in [a, b] (either order) is provisional."""
        return self._span_provisional_ord(_check_date(a, "a"), _check_date(b, "b"))


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """Package-only calendar (no overrides, no official years), built once."""
    return WorkCalendar()


# ---------------------------------------------------------------------------
# Clock evaluation
# ---------------------------------------------------------------------------


class ClockError(ValueError):
    """Invalid clock event sequence."""


@dataclass(frozen=True, slots=True)
class ClockEvent:
    """One clock event; ``days`` is only used by ``extend``."""

    kind: str
    on: date
    days: int = 0
    reason: str = ""


@dataclass(frozen=True)
class ClockStatus:
    """Result of :func:`evaluate`.

    ``used``: total government days counted (in the clock's unit) from start to
    min(today, stop), excluding pauses - under policy "restart" it still includes the
    days before each restart.  ``remaining`` = ``limit`` - days counted for the current
    due date (resets at each resume under "restart"; negative when overdue).
    ``paused_days``: days (in the unit) spent in pauses.  ``limit`` includes extensions.
    While paused, ``due_date`` is the projection for a resume today.
    """

    state: Literal["not_started", "running", "paused", "stopped"]
    started_on: date | None
    due_date: date | None
    used: int
    paused_days: int
    remaining: int
    limit: int
    light: Literal["green", "yellow", "red"]
    provisional: bool
    overdue: bool


_object_new = object.__new__
_object_setattr = object.__setattr__


def _status(
    state: str,
    started_on: date | None,
    due_date: date | None,
    used: int,
    paused_days: int,
    remaining: int,
    limit: int,
    light: str,
    provisional: bool,
    overdue: bool,
) -> ClockStatus:
    """Fast ClockStatus constructor (skips the frozen per-field __setattr__ calls)."""
    obj = _object_new(ClockStatus)
    _object_setattr(
        obj,
        "__dict__",
        {
            "state": state,
            "started_on": started_on,
            "due_date": due_date,
            "used": used,
            "paused_days": paused_days,
            "remaining": remaining,
            "limit": limit,
            "light": light,
            "provisional": provisional,
            "overdue": overdue,
        },
    )
    return obj


def validate(events: Sequence[ClockEvent]) -> None:
    """Raise :class:`ClockError` with a one-line message if the sequence is invalid."""
    started = paused = stopped = False
    prev: date | None = None
    for idx, ev in enumerate(events):
        if ev.__class__ is not ClockEvent and not isinstance(ev, ClockEvent):
            raise ClockError(f"event #{idx} is not a ClockEvent: {ev!r}")
        kind, on = ev.kind, ev.on
        if kind not in EVENT_KINDS:
            raise ClockError(f"event #{idx}: unknown kind {kind!r} (expected one of {sorted(EVENT_KINDS)})")
        if on.__class__ is not date:
            try:
                _check_date(on, f"event #{idx} ({kind}) date")
            except ValueError as exc:
                raise ClockError(str(exc)) from None
        if stopped:
            raise ClockError(f"{kind} on {on} after the clock was stopped")
        if kind == "start":
            if started:
                raise ClockError(f"second start on {on}: the clock was already started")
            started = True
        elif not started:
            raise ClockError(f"{kind} on {on} before the clock was started")
        if prev is not None and on < prev:
            raise ClockError(f"{kind} on {on} is dated before the previous event ({prev})")
        if kind == "pause":
            if paused:
                raise ClockError(f"pause on {on} while the clock is already paused")
            paused = True
        elif kind == "resume":
            if not paused:
                raise ClockError(f"resume on {on} without a preceding pause")
            paused = False
        elif kind == "extend":
            if ev.days.__class__ is not int or ev.days <= 0:
                raise ClockError(f"extend on {on} must add a positive number of days, got {ev.days!r}")
        elif kind == "stop":
            stopped = True
        prev = on


def evaluate(
    events: Sequence[ClockEvent],
    *,
    limit: int,
    unit: Unit = "working",
    calendar: WorkCalendar,
    today: date,
    policy: Policy = "resume",
    warn_days: int = 3,
    warn_percent: int = 20,
) -> ClockStatus:
    """Evaluate a clock as of ``today``; events dated after ``today`` are ignored."""
    validate(events)
    if limit.__class__ is not int or limit < 0:
        _check_count(limit, "limit")
    if unit == "working":
        cum_w = calendar._count  # W(o): cumulative working-day count
        step = calendar._add_ord
    elif unit == "natural":
        cum_w = int  # natural days: W(o) = o
        step = calendar._add_natural_ord
    else:
        raise ValueError(f"unit must be 'working' or 'natural', got {unit!r}")
    if policy == "resume":
        restart = False
    elif policy == "restart":
        restart = True
    else:
        raise ValueError(f"policy must be 'resume' or 'restart', got {policy!r}")
    t = today.toordinal() if today.__class__ is date else _check_date(today, "today")

    state = "not_started"
    start_o = seg_o = seg_w = pause_w = end_o = 0
    used = paused_days = used_due = seg_base = 0
    stopped_while_paused = False
    # closed counting segments: (start ordinal, end ordinal, used_due at segment start)
    segments: list[tuple[int, int, int]] = []

    for ev in events:
        o = ev.on.toordinal()
        if o > t:
            break
        kind = ev.kind
        if kind == "start":
            state, start_o, seg_o, seg_w = "running", o, o, cum_w(o)
        elif kind == "extend":
            limit += ev.days
        elif kind == "resume":
            wo = cum_w(o)
            paused_days += wo - pause_w
            if restart:
                used_due = 0
            state, seg_o, seg_w, seg_base = "running", o, wo, used_due
        elif state == "paused":  # stop while paused
            paused_days += cum_w(o) - pause_w
            state, end_o, stopped_while_paused = "stopped", o, True
        else:  # pause or stop while running
            wo = cum_w(o)
            n = wo - seg_w
            used += n
            used_due += n
            segments.append((seg_o, o, seg_base))
            if kind == "pause":
                state, pause_w = "paused", wo
            else:
                state, end_o = "stopped", o

    if state == "not_started":
        return _status("not_started", None, None, 0, 0, limit, limit, "green", False, False)

    if state == "running":
        n = cum_w(t) - seg_w
        used += n
        used_due += n
        segments.append((seg_o, t, seg_base))
        end_o = t
    elif state == "paused":
        paused_days += cum_w(t) - pause_w
        end_o = t

    if state == "paused" or stopped_while_paused:
        # projection for a resume on end_o; under "restart" the full limit would restart
        if restart:
            used_due = 0
        if used_due <= limit:
            due_o = step(end_o, limit - used_due)
        else:
            due_o = _crossing(step, cum_w, limit, segments)
    else:
        s_o, _, base = segments[-1]
        if base <= limit:
            due_o = step(s_o, limit - base)
        else:
            due_o = _crossing(step, cum_w, limit, segments)

    remaining = limit - used_due
    overdue = end_o > due_o
    if overdue:
        light = "red"
    elif state == "stopped":
        light = "green"  # finished in time: no warning
    elif remaining <= warn_days or remaining * 100 <= warn_percent * limit:
        light = "yellow"
    else:
        light = "green"
    return _status(
        state,
        events[0].on,  # validate() guarantees the first event is the start
        date.fromordinal(due_o) if 0 < due_o <= _MAX_ORD else _from_ordinal(due_o),
        used,
        paused_days,
        remaining,
        limit,
        light,
        calendar._span_provisional_ord(start_o, due_o),
        overdue,
    )


def _crossing(
    step: Callable[[int, int], int],
    cum_w: Callable[[int], int],
    limit: int,
    segments: list[tuple[int, int, int]],
) -> int:
    """Day on which the counted days reached ``limit`` (the due date is already in the past)."""
    for s_o, e_o, base in segments:
        if base <= limit <= base + cum_w(e_o) - cum_w(s_o):
            return step(s_o, limit - base)
    s_o, _, base = segments[-1]  # not reachable for validated input
    return step(s_o, max(limit - base, 0))


# ---------------------------------------------------------------------------
# Project timeline
# ---------------------------------------------------------------------------


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
