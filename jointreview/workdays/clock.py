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
