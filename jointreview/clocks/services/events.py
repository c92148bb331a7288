"""Creating a clock and recording its events (start, pause, resume, extend, stop); its status now.

Every event is appended under a row lock on the clock, validated with ``workdays.validate``, then
the cached fields are re-evaluated and one audit event is written."""
from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from jointreview import workdays
from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.clocks.calendar import get_calendar
from jointreview.clocks.services.common import (
    _as_of,
    _cache_values,
    _check_date,
    _evaluate,
    _event_list,
    _save_cache,
)
from jointreview.models import Application, Clock, ClockEvent, PauseReason, ResubmissionPolicy, TimeUnit
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError

_CACHE_FIELDS = [
    "state", "started_on", "due_date", "used_days", "paused_days", "remaining_days",
    "light", "provisional", "evaluated_on",
]
_VERB = {
    "start": "start", "pause": "pause", "resume": "resume", "extend": "extend", "stop": "stop",
}


def clock_status(clock: Clock, *, today: date | None = None) -> workdays.ClockStatus:
    """Pure evaluation of the stored events as of ``today`` (default: the local date)."""
    return _evaluate(clock, _event_list(clock), today or timezone.localdate(), get_calendar())


def clock_refresh(*, clock: Clock, today: date | None = None) -> Clock:
    """Re-evaluate the clock and save its cached fields; returns the (updated) clock."""
    with transaction.atomic():
        events = _event_list(clock)
        as_of = _as_of(events, today)
        status = _evaluate(clock, events, as_of, get_calendar())
        _save_cache(clock, _cache_values(status, as_of))
    return clock


# ---------------------------------------------------------------------------
# creating a clock and recording events
# ---------------------------------------------------------------------------


def clock_create(
    *,
    kind: str,
    limit_value: int,
    limit_unit: str = TimeUnit.WORKING,
    policy: str = ResubmissionPolicy.RESUME,
    warn_days: int | None = None,
    warn_percent: int | None = None,
) -> Clock:
    if kind not in Clock.Kind.values:
        raise ServiceError(f"unknown clock kind {kind!r} (expected one of {', '.join(Clock.Kind.values)})")
    if isinstance(limit_value, bool) or not isinstance(limit_value, int) or limit_value < 1:
        raise ServiceError(f"a clock's limit must be a whole number of days >= 1, got {limit_value!r}")
    if limit_unit not in TimeUnit.values:
        raise ServiceError(f"unknown time unit {limit_unit!r} (expected working or natural)")
    if policy not in ResubmissionPolicy.values:
        raise ServiceError(f"unknown resubmission policy {policy!r} (expected resume or restart)")
    for name, value in (("warn_days", warn_days), ("warn_percent", warn_percent)):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ServiceError(f"{name} must be a whole number >= 0, got {value!r}")
    if warn_percent is not None and warn_percent > 100:
        raise ServiceError(f"warn_percent must be at most 100, got {warn_percent}")
    clock = Clock(
        kind=kind,
        limit_value=limit_value,
        limit_unit=limit_unit,
        policy=policy,
        warn_days=warn_days,
        warn_percent=warn_percent,
        remaining_days=limit_value,
    )
    with transaction.atomic():
        common.full_clean(clock)
        clock.save()
    return clock


def _application_of(clock: Clock) -> Application | None:
    app = Application.objects.filter(clock_id=clock.pk).first()
    if app is not None:
        return app
    return Application.objects.filter(assignments__clock_id=clock.pk).first()


def _append(
    *,
    clock: Clock,
    kind: str,
    on: date,
    actor,
    days: int = 0,
    reason: str = "",
    reason_text: str = "",
    approver=None,
) -> Clock:
    on = _check_date(on)
    with transaction.atomic():
        locked = Clock.objects.select_for_update().get(pk=clock.pk)
        rows = list(locked.events.order_by("seq").values_list("seq", "kind", "on", "days", "reason"))
        events = [workdays.ClockEvent(k, d, n, r) for _s, k, d, n, r in rows]
        _check_sequence(kind, on, events)
        new = workdays.ClockEvent(kind, on, days, reason)
        try:
            workdays.validate([*events, new])
        except workdays.ClockError as exc:
            raise ServiceError(str(exc)) from None
        before = {f: getattr(locked, f) for f in ("state", "due_date", "light")}
        event = ClockEvent(
            clock=locked,
            seq=(rows[-1][0] + 1) if rows else 1,
            kind=kind,
            on=on,
            days=days,
            reason=reason,
            reason_text=reason_text,
            approver=approver,
            actor=actor if getattr(actor, "pk", None) else None,
        )
        common.full_clean(event)
        event.save()
        events.append(new)
        as_of = _as_of(events, None)
        values = _cache_values(_evaluate(locked, events, as_of, get_calendar()), as_of)
        _save_cache(locked, values)
        for name in _CACHE_FIELDS:
            setattr(clock, name, getattr(locked, name))
        after = {f: getattr(locked, f) for f in ("state", "due_date", "light")}
        after.update({"event": kind, "on": on, "days": days, "reason": reason})
        audit_record(
            actor=actor,
            verb=AuditVerb(f"clock.{_VERB[kind]}"),
            target=locked,
            before=before,
            after=after,
            application=_application_of(locked),
            note=reason_text,
        )
    return clock


def _check_sequence(kind: str, on: date, events: list[workdays.ClockEvent]) -> None:
    """Friendly refusals before the generic validation of workdays.validate."""
    started = bool(events) and events[0].kind == "start"
    stopped = any(e.kind == "stop" for e in events)
    paused = False
    for e in events:
        if e.kind == "pause":
            paused = True
        elif e.kind in ("resume", "stop"):
            paused = False
    verb = {"start": "start", "pause": "pause", "resume": "resume", "extend": "extend", "stop": "stop"}[kind]
    if kind == "start" and started:
        raise ConflictError(f"the clock was already started on {events[0].on}")
    if kind != "start" and not started:
        raise ServiceError(f"cannot {verb} a clock that has not been started")
    if stopped:
        raise ConflictError(f"cannot {verb} a stopped clock (stopped on {events[-1].on})")
    if kind == "pause" and paused:
        raise ConflictError(f"the clock is already paused (since {events[-1].on})")
    if kind == "resume" and not paused:
        raise ConflictError("cannot resume a clock that is not paused")
    if events and on < events[-1].on:
        raise ServiceError(
            f"{verb} on {on} is dated before the clock's previous event ({events[-1].kind} on {events[-1].on})"
        )


def clock_start(*, clock: Clock, on: date, actor) -> Clock:
    return _append(clock=clock, kind="start", on=on, actor=actor)


def clock_pause(
    *, clock: Clock, on: date, reason: str, reason_text: str = "", expected_days: int = 0, actor
) -> Clock:
    if reason not in PauseReason.values:
        raise ServiceError(
            f"unknown pause reason {reason!r} (expected one of {', '.join(PauseReason.values)})"
        )
    reason_text = (reason_text or "").strip()
    if reason == PauseReason.OTHER and not reason_text:
        raise ServiceError("a pause for another reason (其他) needs a written reason")
    if isinstance(expected_days, bool) or not isinstance(expected_days, int) or expected_days < 0:
        raise ServiceError(f"expected days must be a whole number >= 0, got {expected_days!r}")
    return _append(
        clock=clock, kind="pause", on=on, actor=actor, days=expected_days, reason=reason, reason_text=reason_text
    )


def clock_resume(*, clock: Clock, on: date, actor) -> Clock:
    return _append(clock=clock, kind="resume", on=on, actor=actor)


# No page calls this yet (docs/domain.md §4.2.4): kept because the law requires it (行政许可法 §42: +10
# working days, +15 for joint approval, approved and told to the applicant) and the schema already
# carries it (ClockEvent.Kind.EXTEND, the approver constraint, the clock.extend audit verb).
def clock_extend(*, clock: Clock, on: date, days: int, approver, reason_text: str, actor) -> Clock:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ServiceError(f"an extension must add a whole number of days >= 1, got {days!r}")
    if approver is None or not getattr(approver, "pk", None):
        raise ServiceError("an extension (延长审批) needs the approver who authorised it")
    reason_text = (reason_text or "").strip()
    if not reason_text:
        raise ServiceError("an extension (延长审批) needs a reason to tell the applicant")
    return _append(
        clock=clock, kind="extend", on=on, actor=actor, days=days, approver=approver, reason_text=reason_text
    )


def clock_stop(*, clock: Clock, on: date, actor) -> Clock:
    return _append(clock=clock, kind="stop", on=on, actor=actor)
