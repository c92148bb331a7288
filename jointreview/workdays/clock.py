"""Pure clock evaluation: an event list (start, pause, resume, extend, stop) -> ``ClockStatus``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from jointreview.workdays.calendar import WorkCalendar
from jointreview.workdays.common import _MAX_ORD, _check_count, _check_date, _from_ordinal

Unit = Literal["working", "natural"]
Policy = Literal["resume", "restart"]
EVENT_KINDS = frozenset({"start", "pause", "resume", "extend", "stop"})


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
        if ev.__class__ is not ClockEvent or ev.kind not in EVENT_KINDS or ev.on.__class__ is not date:
            _check_fields(idx, ev)  # the slow path: a subclass, a date subclass, or a malformed event
        kind, on = ev.kind, ev.on
        # one start, before anything else; nothing after a stop; no event dated before the previous one
        if stopped or started == (kind == "start") or (prev is not None and on < prev):
            _refuse_order(kind, on, prev, started=started, stopped=stopped)
        if kind == "pause":
            if paused:
                raise ClockError(f"pause on {on} while the clock is already paused")
            paused = True
        elif kind == "resume":
            if not paused:
                raise ClockError(f"resume on {on} without a preceding pause")
            paused = False
        elif kind == "extend" and (ev.days.__class__ is not int or ev.days <= 0):
            raise ClockError(f"extend on {on} must add a positive number of days, got {ev.days!r}")
        started, stopped, prev = True, kind == "stop", on


def _check_fields(idx: int, ev: object) -> None:
    """ClockError unless event ``idx`` is a ClockEvent of a known kind on a date."""
    if not isinstance(ev, ClockEvent):
        raise ClockError(f"event #{idx} is not a ClockEvent: {ev!r}")
    if ev.kind not in EVENT_KINDS:
        raise ClockError(f"event #{idx}: unknown kind {ev.kind!r} (expected one of {sorted(EVENT_KINDS)})")
    try:
        _check_date(ev.on, f"event #{idx} ({ev.kind}) date")
    except ValueError as exc:
        raise ClockError(str(exc)) from None


def _refuse_order(kind: str, on: date, prev: date | None, *, started: bool, stopped: bool) -> None:
    """The ClockError of an event out of order (the caller saw that it is)."""
    if stopped:
        raise ClockError(f"{kind} on {on} after the clock was stopped")
    if kind == "start" and started:
        raise ClockError(f"second start on {on}: the clock was already started")
    if not started and kind != "start":
        raise ClockError(f"{kind} on {on} before the clock was started")
    raise ClockError(f"{kind} on {on} is dated before the previous event ({prev})")


def _counting(calendar: WorkCalendar, unit: str) -> tuple[Callable[[int], int], Callable[[int, int], int]]:
    """(W, step) of the unit: W(o) the cumulative day count at ordinal o, step(o, n) the due ordinal."""
    if unit == "working":
        return calendar._count, calendar._add_ord
    if unit == "natural":
        return int, calendar._add_natural_ord  # natural days: W(o) = o
    raise ValueError(f"unit must be 'working' or 'natural', got {unit!r}")


def _restarts(policy: str) -> bool:
    if policy == "resume":
        return False
    if policy == "restart":
        return True
    raise ValueError(f"policy must be 'resume' or 'restart', got {policy!r}")


class _Replay:
    """Evaluate's working memory: the counting state of a clock while its events are replayed in order.

    ``used``: days counted from the start; ``used_due``: days counted towards the current due date
    (reset at each resume under policy "restart"); closed counting ``segments``: (start ordinal, end
    ordinal, ``used_due`` at the segment's start)."""

    __slots__ = ("cum_w", "restart", "state", "start_o", "seg_o", "seg_w", "seg_base", "pause_w", "end_o",
                 "used", "paused_days", "used_due", "extension", "segments", "stopped_while_paused")

    def __init__(self, cum_w: Callable[[int], int], restart: bool) -> None:
        self.cum_w, self.restart = cum_w, restart
        self.state = "not_started"
        self.start_o = self.seg_o = self.seg_w = self.seg_base = self.pause_w = self.end_o = 0
        self.used = self.paused_days = self.used_due = self.extension = 0
        self.segments: list[tuple[int, int, int]] = []
        self.stopped_while_paused = False

    def apply(self, kind: str, o: int, days: int) -> None:
        """One (validated) event on ordinal ``o``."""
        if kind == "start":
            self.state, self.start_o, self.seg_o, self.seg_w = "running", o, o, self.cum_w(o)
        elif kind == "extend":
            self.extension += days
        elif kind == "resume":
            wo = self.cum_w(o)
            self.paused_days += wo - self.pause_w
            if self.restart:
                self.used_due = 0
            self.state, self.seg_o, self.seg_w, self.seg_base = "running", o, wo, self.used_due
        elif self.state == "paused":  # stop while paused
            self.paused_days += self.cum_w(o) - self.pause_w
            self.state, self.end_o, self.stopped_while_paused = "stopped", o, True
        else:  # pause or stop while running
            wo = self._close_segment(o)
            if kind == "pause":
                self.state, self.pause_w = "paused", wo
            else:
                self.state, self.end_o = "stopped", o

    def _close_segment(self, o: int) -> int:
        wo = self.cum_w(o)
        n = wo - self.seg_w
        self.used += n
        self.used_due += n
        self.segments.append((self.seg_o, o, self.seg_base))
        return wo

    def count_to(self, t: int) -> None:
        """Count a running or paused clock up to ordinal ``t`` (today)."""
        if self.state == "running":
            self._close_segment(t)
            self.end_o = t
        elif self.state == "paused":
            self.paused_days += self.cum_w(t) - self.pause_w
            self.end_o = t

    def due_ordinal(self, step: Callable[[int, int], int], limit: int) -> int:
        if self.state == "paused" or self.stopped_while_paused:
            # projection for a resume on end_o; under "restart" the full limit would restart
            if self.restart:
                self.used_due = 0
            if self.used_due <= limit:
                return step(self.end_o, limit - self.used_due)
        else:
            s_o, _, base = self.segments[-1]
            if base <= limit:
                return step(s_o, limit - base)
        return _crossing(step, self.cum_w, limit, self.segments)


def _light(state: str, overdue: bool, remaining: int, limit: int, warn_days: int, warn_percent: int) -> str:
    if overdue:
        return "red"
    if state == "stopped":
        return "green"  # finished in time: no warning
    if remaining <= warn_days or remaining * 100 <= warn_percent * limit:
        return "yellow"
    return "green"


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
    cum_w, step = _counting(calendar, unit)
    run = _Replay(cum_w, _restarts(policy))
    t = today.toordinal() if today.__class__ is date else _check_date(today, "today")
    apply = run.apply
    for ev in events:
        o = ev.on.toordinal()
        if o > t:
            break
        apply(ev.kind, o, ev.days)
    if run.state == "not_started":
        return _status("not_started", None, None, 0, 0, limit, limit, "green", False, False)
    run.count_to(t)
    limit += run.extension
    due_o = run.due_ordinal(step, limit)
    remaining = limit - run.used_due
    overdue = run.end_o > due_o
    return _status(
        run.state,
        events[0].on,  # validate() guarantees the first event is the start
        date.fromordinal(due_o) if 0 < due_o <= _MAX_ORD else _from_ordinal(due_o),
        run.used,
        run.paused_days,
        remaining,
        limit,
        _light(run.state, overdue, remaining, limit, warn_days, warn_percent),
        calendar._span_provisional_ord(run.start_o, due_o),
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
