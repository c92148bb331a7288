"""Statutory clocks and the working-day calendar: the only writers of Clock, ClockEvent,
DeadlineChange, CalendarDay and CalendarYear (docs/domain.md §4).

The truth of a clock is its append-only event list; the fields on ``Clock`` cache the last
evaluation (``workdays.evaluate``) and are refreshed by every event, by the beat sweep
(``clock_sweep``) and by ``calendar_recompute`` when the calendar changes.
"""
from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jointreview import workdays
from jointreview.audit.services import audit_record
from jointreview.clocks.calendar import build_calendar, get_calendar, invalidate_calendar, missing_years
from jointreview.models import (
    Application,
    Assignment,
    CalendarDay,
    CalendarYear,
    Clock,
    ClockEvent,
    ClockState,
    DeadlineChange,
    Light,
    PauseReason,
    ResubmissionPolicy,
    TimeUnit,
)
from jointreview.services import common
from jointreview.services.common import notify
from jointreview.services.errors import ConflictError, ServiceError
from jointreview.services.queue import enqueue_after_commit
from projects.models import Organization, OrganizationKind, Role

logger = logging.getLogger(__name__)

__all__ = [
    "clock_create",
    "clock_start",
    "clock_pause",
    "clock_resume",
    "clock_extend",
    "clock_stop",
    "clock_status",
    "clock_refresh",
    "clock_sweep",
    "calendar_parse",
    "calendar_import",
    "calendar_recompute",
    "calendar_missing_year_check",
]

OPEN_STATES = (ClockState.RUNNING, ClockState.PAUSED)
SWEEP_BATCH = 200
_CACHE_FIELDS = [
    "state", "started_on", "due_date", "used_days", "paused_days", "remaining_days",
    "light", "provisional", "evaluated_on",
]
_VERB = {
    "start": "start", "pause": "pause", "resume": "resume", "extend": "extend", "stop": "stop",
}


# ---------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------


def _event_list(clock: Clock) -> list[workdays.ClockEvent]:
    rows = clock.events.order_by("seq").values_list("kind", "on", "days", "reason")
    return [workdays.ClockEvent(kind, on, days, reason) for kind, on, days, reason in rows]


def _evaluate_batch(batch, today: date, calendar):
    """(clock, status, as_of) for each clock of a locked batch; a clock whose stored events cannot be
    evaluated is logged and skipped (the sweeps must go on for the others)."""
    events_by_clock = _events_by_clock(batch)
    for clock in batch:
        events = events_by_clock[clock.pk]
        as_of = _as_of(events, today)
        try:
            status = _evaluate(clock, events, as_of, calendar)
        except ServiceError:
            logger.exception("clock %s cannot be evaluated", clock.pk)
            continue
        yield clock, status, as_of


def _events_by_clock(clocks: list[Clock]) -> dict[int, list[workdays.ClockEvent]]:
    """The events of a batch of clocks in one query, in sequence order, by clock id."""
    out: dict[int, list[workdays.ClockEvent]] = {c.pk: [] for c in clocks}
    for clock_id, kind, on, days, reason in (
        ClockEvent.objects.filter(clock_id__in=out)
        .order_by("clock_id", "seq")
        .values_list("clock_id", "kind", "on", "days", "reason")
    ):
        out[clock_id].append(workdays.ClockEvent(kind, on, days, reason))
    return out


def _warn(clock: Clock) -> tuple[int, int]:
    warn_days = clock.warn_days if clock.warn_days is not None else settings.JR_WARN_DAYS
    warn_percent = clock.warn_percent if clock.warn_percent is not None else settings.JR_WARN_PERCENT
    return int(warn_days), int(warn_percent)


def _evaluate(
    clock: Clock, events: list[workdays.ClockEvent], today: date, calendar: workdays.WorkCalendar
) -> workdays.ClockStatus:
    warn_days, warn_percent = _warn(clock)
    try:
        return workdays.evaluate(
            events,
            limit=clock.limit_value,
            unit=clock.limit_unit,
            calendar=calendar,
            today=today,
            policy=clock.policy,
            warn_days=warn_days,
            warn_percent=warn_percent,
        )
    except workdays.ClockError as exc:  # stored events are validated on the way in
        raise ServiceError(f"clock #{clock.pk}: {exc}") from None
    except NotImplementedError:  # never let the package's gap reach a user (workdays guards it too)
        raise ServiceError("the working-day calendar has no data for this date") from None


def _as_of(events: list[workdays.ClockEvent], today: date | None) -> date:
    """The evaluation date of the cache: today, or the last event's date if that is later."""
    as_of = today or timezone.localdate()
    if events and events[-1].on > as_of:
        as_of = events[-1].on
    return as_of


def clock_status(clock: Clock, *, today: date | None = None) -> workdays.ClockStatus:
    """Pure evaluation of the stored events as of ``today`` (default: the local date)."""
    return _evaluate(clock, _event_list(clock), today or timezone.localdate(), get_calendar())


def _cache_values(status: workdays.ClockStatus, as_of: date) -> dict[str, Any]:
    return {
        "state": status.state,
        "started_on": status.started_on,
        "due_date": status.due_date,
        "used_days": status.used,
        "paused_days": status.paused_days,
        "remaining_days": status.remaining,
        "light": status.light,
        "provisional": status.provisional,
        "evaluated_on": as_of,
    }


def _save_cache(clock: Clock, values: dict[str, Any]) -> None:
    Clock.objects.filter(pk=clock.pk).update(**values)
    for name, value in values.items():
        setattr(clock, name, value)
    # Assignment.due_date mirrors its clock's due date.
    Assignment.objects.filter(clock_id=clock.pk).exclude(due_date=values["due_date"]).update(
        due_date=values["due_date"]
    )
    if values["due_date"] is None:
        Assignment.objects.filter(clock_id=clock.pk, due_date__isnull=False).update(due_date=None)


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


def _check_date(on: object) -> date:
    if isinstance(on, datetime) or not isinstance(on, date):
        raise ServiceError(f"a clock event needs a date, got {on!r}")
    return on


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
            verb=f"clock.{_VERB[kind]}",
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


# ---------------------------------------------------------------------------
# notifications to the centre
# ---------------------------------------------------------------------------


def _centre_orgs(*, admins_only: bool = False) -> list[Organization]:
    """Centre organizations (for ``admins_only``: those with a centre admin, else every centre)."""
    qs = Organization.objects.filter(kind=OrganizationKind.CENTRE).order_by("pk")
    if admins_only:
        orgs = list(qs.filter(members__role=Role.CENTRE_ADMIN, members__is_active=True).distinct())
        if orgs:
            return orgs
    return list(qs)


def _notify_centre(
    *, base_key: str, kind: str, subject: str, body: str = "", admins_only: bool = False, **links
) -> int:
    """One Notification per centre organization; idempotent by key (the first centre gets the plain
    key, any further centre organization ``<key>-o<pk>``). Returns how many were created."""
    created = 0
    for i, org in enumerate(_centre_orgs(admins_only=admins_only)):
        key = base_key if i == 0 else f"{base_key}-o{org.pk}"
        created += int(notify(key=key[:120], organization_id=org.pk, kind=kind, subject=subject, body=body, **links))
    return created


def _clock_subject(clock: Clock, light: str) -> tuple[str, dict[str, Any]]:
    links: dict[str, Any] = {}
    what = f"计时 clock #{clock.pk}"
    assignment = Assignment.objects.filter(clock_id=clock.pk).select_related("application", "agency").first()
    if assignment is not None:
        links = {"assignment": assignment, "application": assignment.application}
        what = f"{assignment.application.number} / {assignment.agency}"
    else:
        app = Application.objects.filter(clock_id=clock.pk).first()
        if app is not None:
            links = {"application": app}
            what = app.number
    label = "已超期 overdue" if light == Light.RED else "临近到期 due soon"
    return f"{label}: {what}, 到期 due {clock.due_date}", links


# ---------------------------------------------------------------------------
# the beat sweep
# ---------------------------------------------------------------------------


def clock_sweep(*, today: date | None = None, batch_size: int = SWEEP_BATCH) -> dict[str, int]:
    """Re-evaluate open clocks not evaluated as of ``today``, in batches (skip rows others hold).

    Safe to run twice: a clock evaluated today is skipped, updates are conditional on the cached
    light/state read under the row lock, and notifications are keyed ``clock-<id>-<light>``.
    """
    today = today or timezone.localdate()
    calendar = get_calendar()
    stats = {"evaluated": 0, "changed": 0, "yellow": 0, "red": 0, "notified": 0}
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                Clock.objects.select_for_update(skip_locked=True)
                .filter(state__in=OPEN_STATES, pk__gt=last_pk)
                .filter(Q(evaluated_on__isnull=True) | ~Q(evaluated_on=today))
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            last_pk = batch[-1].pk
            for clock, status, as_of in _evaluate_batch(batch, today, calendar):
                stats["evaluated"] += 1
                values = _cache_values(status, as_of)
                old_light, old_state = clock.light, clock.state
                updated = Clock.objects.filter(pk=clock.pk, light=old_light, state=old_state).update(**values)
                if not updated:
                    continue
                for name, value in values.items():
                    setattr(clock, name, value)
                if clock.due_date is not None:
                    Assignment.objects.filter(clock_id=clock.pk).exclude(due_date=clock.due_date).update(
                        due_date=clock.due_date
                    )
                if status.light != old_light or status.state != old_state:
                    stats["changed"] += 1
                if status.light in (Light.YELLOW, Light.RED) and status.light != old_light:
                    stats[status.light] += 1
                if status.light in (Light.YELLOW, Light.RED) and status.state != ClockState.STOPPED:
                    subject, links = _clock_subject(clock, status.light)
                    stats["notified"] += _notify_centre(
                        base_key=f"clock-{clock.pk}-{status.light}",
                        kind=f"clock_{status.light}",
                        subject=subject,
                        **links,
                    )
    return stats


# ---------------------------------------------------------------------------
# the calendar: import a year's official schedule, recompute, warn when a year is missing
# ---------------------------------------------------------------------------

SCHEDULE_COLUMNS = ("date", "is_workday", "name", "source")
_TRUE = {"1", "true", "yes", "y", "t", "workday", "work", "工作日", "上班", "班"}
_FALSE = {"0", "false", "no", "n", "f", "holiday", "rest", "off", "休息日", "休息", "放假", "休"}


def calendar_parse(data: str | bytes, *, fmt: str) -> list[dict[str, Any]]:
    """Parse a schedule file (``fmt`` "csv" or "json") into raw rows carrying their ``line``.

    CSV: a header ``date,is_workday,name,source`` (name and source may be left empty), then one row
    per holiday day and per 调休 working day. JSON: a list of objects with the same fields; the
    ``line`` of a JSON entry is its position in the list (1-based), reported as "entry N".
    Raises ServiceError naming the bad line.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ServiceError("the file is not UTF-8 text") from None
    data = data.lstrip("\ufeff")
    rows: list[dict[str, Any]] = []
    if fmt == "json":
        try:
            items = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ServiceError(f"line {exc.lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(items, list):
            raise ServiceError("the JSON file must hold a list of objects with date, is_workday, name, source")
        for i, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise ServiceError(f"entry {i}: expected an object with date, is_workday, name, source")
            unknown = sorted(set(item) - set(SCHEDULE_COLUMNS))
            if unknown:
                raise ServiceError(f"entry {i}: unknown field(s) {', '.join(unknown)}")
            rows.append({**{k: item.get(k) for k in SCHEDULE_COLUMNS}, "line": i, "where": f"entry {i}"})
        return rows
    if fmt != "csv":
        raise ServiceError(f"unknown schedule format {fmt!r} (expected csv or json)")
    reader = csv.reader(io.StringIO(data))
    header: list[str] | None = None
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in row]
        if header is None:
            header = [c.lower() for c in cells]
            unknown = [c for c in header if c not in SCHEDULE_COLUMNS]
            missing = [c for c in ("date", "is_workday") if c not in header]
            if unknown or missing or len(set(header)) != len(header):
                raise ServiceError(
                    f"line {line}: the header must be {','.join(SCHEDULE_COLUMNS)} (got {','.join(cells)})"
                )
            continue
        if len(cells) > len(header):
            raise ServiceError(f"line {line}: {len(cells)} columns, the header has {len(header)}")
        values = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
        rows.append({**{k: values.get(k, "") for k in SCHEDULE_COLUMNS}, "line": line, "where": f"line {line}"})
    if header is None:
        raise ServiceError(f"the file is empty: expected a header {','.join(SCHEDULE_COLUMNS)} and rows")
    return rows


def _parse_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ServiceError(f"{where}: is_workday {value!r} is not true/false (1/0, workday/holiday)")


def _parse_date(value: Any, where: str) -> date:
    text = str(value if value is not None else "").strip()
    if not text:
        raise ServiceError(f"{where}: the date is missing")
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    raise ServiceError(f"{where}: date {text} is not a valid date (expected YYYY-MM-DD)")


def _validate_rows(rows: Iterable[Mapping[str, Any]], default_source: str) -> tuple[int, list[CalendarDay]]:
    seen: dict[date, str] = {}
    year: int | None = None
    first_where = ""
    days: list[CalendarDay] = []
    for i, row in enumerate(rows, start=1):
        where = str(row.get("where") or f"line {row.get('line', i)}")
        d = _parse_date(row.get("date"), where)
        is_workday = _parse_bool(row.get("is_workday"), where)
        name = str(row.get("name") or "").strip()
        source = str(row.get("source") or "").strip() or default_source
        if d in seen:
            raise ServiceError(f"{where}: date {d} appears twice (first on {seen[d]}); every date once")
        seen[d] = where
        if year is None:
            year, first_where = d.year, where
        elif d.year != year:
            raise ServiceError(
                f"{where}: date {d} is in {d.year} but {first_where} is in {year}; a file holds one year"
            )
        if "\x00" in name or "\x00" in source:
            raise ServiceError(f"{where}: the name or source contains a NUL character")
        if len(name) > 60:
            raise ServiceError(f"{where}: the name is longer than 60 characters")
        if len(source) > 200:
            raise ServiceError(f"{where}: the source is longer than 200 characters")
        if not is_workday and not name:
            raise ServiceError(f"{where}: a holiday needs a name (e.g. 春节)")
        days.append(CalendarDay(date=d, is_workday=is_workday, name=name or "调休上班", source=source))
    if year is None:
        raise ServiceError("the file has no rows: one row per holiday day and per 调休 working day")
    return year, days


def calendar_import(*, rows: Iterable[Mapping[str, Any]], source: str, actor) -> dict[str, Any]:
    """Load one year's official schedule (atomic: all rows or nothing).

    ``rows``: mappings with date, is_workday, name, source (+ optional ``line``/``where`` used in
    error messages), as produced by :func:`calendar_parse`. The file is the whole official schedule
    of its year: CalendarDay rows of that year already in the table are replaced. Writes a
    CalendarYear row, then on commit invalidates the calendar cache and enqueues
    ``jointreview.calendar_recompute`` for the year.
    """
    source = (source or "").strip()
    if not source:
        raise ServiceError("say where the schedule comes from (source), e.g. 国办发明电〔2026〕X号")
    if len(source) > 200:
        raise ServiceError("the source is longer than 200 characters")
    year, days = _validate_rows(list(rows), source)
    for day in days:
        common.full_clean(day, validate_unique=False)
    with transaction.atomic():
        existing = CalendarYear.objects.select_for_update().filter(year=year).first()
        replaced, _ = CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(days)
        imported_by = actor if getattr(actor, "pk", None) else None
        if existing is None:
            cal_year = CalendarYear(year=year, source=source, imported_by=imported_by)
            common.full_clean(cal_year)
            cal_year.save()
        else:
            CalendarYear.objects.filter(pk=existing.pk).update(
                source=source, imported_by=imported_by, imported_at=timezone.now()
            )
            cal_year = CalendarYear.objects.get(pk=existing.pk)
        audit_record(
            actor=actor,
            verb="calendar.import",
            target=cal_year,
            before={"rows": replaced, "imported": existing is not None},
            after={
                "year": year,
                "rows": len(days),
                "holidays": sum(1 for d in days if not d.is_workday),
                "workdays": sum(1 for d in days if d.is_workday),
                "source": source,
            },
        )
        cause = f"calendar {year} imported ({source})"[:200]
        transaction.on_commit(invalidate_calendar)
        # broker down: deadlines must still move, so the fallback recomputes in-process (idempotent)
        enqueue_after_commit("jointreview.calendar_recompute", on_failure=calendar_recompute, year=year, cause=cause)
    return {
        "year": year,
        "rows": len(days),
        "holidays": sum(1 for d in days if not d.is_workday),
        "workdays": sum(1 for d in days if d.is_workday),
        "replaced": replaced,
    }


def calendar_recompute(*, year: int | None = None, cause: str, today: date | None = None) -> dict[str, int]:
    """Re-evaluate every clock whose evaluation touched ``year`` (all started clocks if None) with the
    current calendar and record a DeadlineChange for each due date that moved. Idempotent."""
    invalidate_calendar()
    calendar = build_calendar()
    invalidate_calendar()
    cause = (cause or "calendar changed")[:200]
    qs = Clock.objects.exclude(state=ClockState.NOT_STARTED).filter(started_on__isnull=False)
    if year is not None:
        first, last = date(year, 1, 1), date(year, 12, 31)
        qs = qs.filter(started_on__lte=last).filter(
            Q(due_date__gte=first) | Q(evaluated_on__gte=first) | Q(provisional=True)
        )
    stats = {"clocks": 0, "moved": 0, "cleared_provisional": 0}
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(qs.select_for_update().filter(pk__gt=last_pk).order_by("pk")[:SWEEP_BATCH])
            if not batch:
                break
            last_pk = batch[-1].pk
            changes: list[DeadlineChange] = []
            for clock, status, as_of in _evaluate_batch(batch, today, calendar):
                stats["clocks"] += 1
                old_due, was_provisional = clock.due_date, clock.provisional
                _save_cache(clock, _cache_values(status, as_of))
                if was_provisional and not status.provisional:
                    stats["cleared_provisional"] += 1
                if status.due_date != old_due:
                    stats["moved"] += 1
                    changes.append(
                        DeadlineChange(
                            clock=clock,
                            old_due=old_due,
                            new_due=status.due_date,
                            was_provisional=was_provisional,
                            cause=cause,
                        )
                    )
            DeadlineChange.objects.bulk_create(changes)
    logger.info("calendar_recompute year=%s: %s", year, stats)
    return stats


def calendar_missing_year_check(*, today: date | None = None) -> list[int]:
    """Warn the centre admins (Notification key ``calendar-missing-<year>``) for each missing year."""
    years = missing_years(today=today)
    for year in years:
        _notify_centre(
            base_key=f"calendar-missing-{year}",
            kind="calendar_missing",
            subject=f"{year}年节假日安排未导入 The official {year} holiday schedule is not imported",
            body=(
                f"{year}年的法定节假日和调休安排尚未导入，涉及{year}年的时限按周一至周五暂定计算。"
                f" Deadlines reaching into {year} count Monday-Friday and are provisional until the"
                f" schedule is imported: python manage.py workdays import FILE."
            ),
            admins_only=True,
        )
    return years


# ---------------------------------------------------------------------------------------------
# one calendar day edited by the centre (the admin goes through these)
# ---------------------------------------------------------------------------------------------


def calendar_day_set(*, actor, day: date, is_workday: bool, name: str = "", source: str = "") -> CalendarDay:
    """Create or change the centre's own entry for one day (wins over the package). Audited; on commit
    the calendar cache is dropped and every deadline the day moves is recomputed with a
    DeadlineChange row (the recompute task, or in-process if the broker is down)."""
    day = _check_date(day)
    with transaction.atomic():
        row = CalendarDay.objects.select_for_update().filter(date=day).first()
        before = {} if row is None else {"is_workday": row.is_workday, "name": row.name, "source": row.source}
        row = row or CalendarDay(date=day)
        row.is_workday, row.name, row.source = bool(is_workday), (name or "").strip(), (source or "").strip()
        try:
            row.full_clean()
        except ValidationError as exc:
            raise ServiceError("; ".join(exc.messages), code="invalid") from None
        row.save()
        after = {"is_workday": row.is_workday, "name": row.name, "source": row.source}
        if before != after:
            audit_record(actor=actor, verb="calendar.day_set", target=row, before=before,
                         after={"date": day, **after})
            _recompute_after_commit(day)
    return row


def calendar_day_delete(*, actor, day: date) -> None:
    """Remove the centre's entry for one day (the package or Monday-Friday applies again)."""
    day = _check_date(day)
    with transaction.atomic():
        row = CalendarDay.objects.select_for_update().filter(date=day).first()
        if row is None:
            return
        audit_record(actor=actor, verb="calendar.day_delete", target=row,
                     before={"date": day, "is_workday": row.is_workday, "name": row.name, "source": row.source})
        row.delete()
        _recompute_after_commit(day)


def _recompute_after_commit(day: date) -> None:
    cause = f"calendar day {day} changed"
    transaction.on_commit(invalidate_calendar)
    enqueue_after_commit("jointreview.calendar_recompute", on_failure=calendar_recompute, year=day.year, cause=cause)
