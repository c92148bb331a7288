"""Creating a clock and recording its events (start, pause, resume, extend, stop); its status now.

Every event is appended under a row lock on the clock, validated with ``workdays.validate``, then
the cached fields are re-evaluated and one audit event is written."""
from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview import workdays
from jointreview.audit.services import audit_build, audit_record
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
from jointreview.models import (
    Application,
    AuditEvent,
    Clock,
    ClockEvent,
    PauseReason,
    ResubmissionPolicy,
    TimeUnit,
)
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError

_CACHE_FIELDS = [
    "state", "started_on", "due_date", "used_days", "paused_days", "remaining_days",
    "light", "provisional", "evaluated_on", "last_seq",
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


def clock_create(**terms) -> Clock:
    """A clock of these terms (``_new_clock``'s: kind, limit_value, limit_unit, policy, warn_days,
    warn_percent), checked and saved."""
    clock = _new_clock(**terms)
    with transaction.atomic():
        common.full_clean(clock)
        clock.save()
    return clock


def _new_clock(
    *,
    kind: str,
    limit_value: int,
    limit_unit: str = TimeUnit.WORKING,
    policy: str = ResubmissionPolicy.RESUME,
    warn_days: int | None = None,
    warn_percent: int | None = None,
) -> Clock:
    """A clock of these terms, checked (every refusal a ServiceError) and not yet saved."""
    if kind not in Clock.Kind.values:
        raise ServiceError(_("Unknown clock kind “%(kind)s” (expected one of %(kinds)s).") % {
            "kind": kind, "kinds": ", ".join(Clock.Kind.values)})
    if isinstance(limit_value, bool) or not isinstance(limit_value, int) or limit_value < 1:
        raise ServiceError(_("A clock's limit must be a whole number of days of at least 1, got %(value)s.")
                           % {"value": repr(limit_value)})
    if limit_unit not in TimeUnit.values:
        raise ServiceError(_("Unknown time unit “%(unit)s” (expected working or natural).") % {"unit": limit_unit})
    if policy not in ResubmissionPolicy.values:
        raise ServiceError(_("Unknown resubmission policy “%(policy)s” (expected resume or restart).")
                           % {"policy": policy})
    for name, value in (("warn_days", warn_days), ("warn_percent", warn_percent)):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ServiceError(_("%(name)s must be a whole number of at least 0, got %(value)s.")
                               % {"name": name, "value": repr(value)})
    if warn_percent is not None and warn_percent > 100:
        raise ServiceError(_("warn_percent must be at most 100, got %(value)s.") % {"value": warn_percent})
    return Clock(
        kind=kind,
        limit_value=limit_value,
        limit_unit=limit_unit,
        policy=policy,
        warn_days=warn_days,
        warn_percent=warn_percent,
        remaining_days=limit_value,
    )


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
        values["last_seq"] = event.seq
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
    verbs = {"start": _("start"), "pause": _("pause"), "resume": _("resume"), "extend": _("extend"),
             "stop": _("stop")}
    verb = verbs[kind]
    if kind == "start" and started:
        raise ConflictError(_("The clock was already started on %(date)s.") % {"date": events[0].on})
    if kind != "start" and not started:
        raise ServiceError(_("Cannot %(action)s a clock that has not been started.") % {"action": verb})
    if stopped:
        raise ConflictError(_("Cannot %(action)s a stopped clock (stopped on %(date)s).") % {
            "action": verb, "date": events[-1].on})
    if kind == "pause" and paused:
        raise ConflictError(_("The clock is already paused (since %(date)s).") % {"date": events[-1].on})
    if kind == "resume" and not paused:
        raise ConflictError(_("Cannot resume a clock that is not paused."))
    if events and on < events[-1].on:
        raise ServiceError(
            _("The %(action)s on %(date)s is dated before the clock's previous event (%(previous)s on "
              "%(previous_date)s).") % {"action": verb, "date": on,
                                         "previous": verbs.get(events[-1].kind, events[-1].kind),
                                         "previous_date": events[-1].on}
        )


def clock_start(*, clock: Clock, on: date, actor) -> Clock:
    return _append(clock=clock, kind="start", on=on, actor=actor)


def clocks_start_new(*, terms: list[dict], on: date, actor, application: Application,
                     audit: list[AuditEvent]) -> list[Clock]:
    """New clocks, each started on ``on``, in one insert for the clocks and one for their start events
    (the same rows as ``clock_create`` then ``clock_start`` for each, without a lock or a savepoint:
    the clocks are new, so nobody else can hold them). ``terms``: ``clock_create``'s keyword arguments,
    one dict per clock. The ``clock.start`` audit events (of ``application``) are appended to
    ``audit``, unsaved, for the caller to save with its own (``audit_save``). Returns the clocks in
    the order of ``terms``."""
    on = _check_date(on)
    start = workdays.ClockEvent("start", on, 0, "")
    try:
        workdays.validate([start])
    except workdays.ClockError as exc:
        raise ServiceError(str(exc)) from None
    as_of, calendar = _as_of([start], None), get_calendar()
    clocks, befores, checked = [], [], set()
    for spec in terms:
        clock = _new_clock(**spec)
        key = tuple(sorted(spec.items()))
        if key not in checked:  # clocks of the same terms have the same fields: validated once
            common.full_clean(clock, validate_constraints=False)  # the checks of _new_clock are the constraints
            checked.add(key)
        befores.append({f: getattr(clock, f) for f in ("state", "due_date", "light")})
        for name, value in _cache_values(_evaluate(clock, [start], as_of, calendar), as_of).items():
            setattr(clock, name, value)
        clock.last_seq = 1  # its start event, below
        clocks.append(clock)
    Clock.objects.bulk_create(clocks)
    person = actor if getattr(actor, "pk", None) else None
    ClockEvent.objects.bulk_create(ClockEvent(clock=c, seq=1, kind="start", on=on, actor=person) for c in clocks)
    for clock, before in zip(clocks, befores, strict=True):
        after = {f: getattr(clock, f) for f in ("state", "due_date", "light")}
        after.update({"event": "start", "on": on, "days": 0, "reason": ""})
        audit.append(audit_build(actor=actor, verb=AuditVerb.CLOCK_START, target=clock, before=before, after=after,
                                 application=application))
    return clocks


def clock_pause(
    *, clock: Clock, on: date, reason: str, reason_text: str = "", expected_days: int = 0, actor
) -> Clock:
    if reason not in PauseReason.values:
        raise ServiceError(_("Unknown pause reason “%(reason)s” (expected one of %(reasons)s).") % {
            "reason": reason, "reasons": ", ".join(PauseReason.values)})
    reason_text = (reason_text or "").strip()
    if reason == PauseReason.OTHER and not reason_text:
        raise ServiceError(_("A pause for another reason needs a written reason."))
    if isinstance(expected_days, bool) or not isinstance(expected_days, int) or expected_days < 0:
        raise ServiceError(_("The expected days must be a whole number of at least 0, got %(value)s.")
                           % {"value": repr(expected_days)})
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
        raise ServiceError(_("An extension must add a whole number of days of at least 1, got %(value)s.")
                           % {"value": repr(days)})
    if approver is None or not getattr(approver, "pk", None):
        raise ServiceError(_("An extension needs the approver who authorised it."))
    reason_text = (reason_text or "").strip()
    if not reason_text:
        raise ServiceError(_("An extension needs a reason to tell the applicant."))
    return _append(
        clock=clock, kind="extend", on=on, actor=actor, days=days, approver=approver, reason_text=reason_text
    )


def clock_stop(*, clock: Clock, on: date, actor) -> Clock:
    return _append(clock=clock, kind="stop", on=on, actor=actor)
