"""The working-day calendar's writers: import a year's official schedule, recompute the deadlines it
moves, warn when a year is missing, and the centre's own days (edited in the admin). The calendar
itself is built from these tables by ``jointreview.clocks.calendar``."""
from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview.audit.services import audit_record, notify_centre
from jointreview.audit.verbs import AuditVerb
from jointreview.clocks.calendar import build_calendar, invalidate_calendar, missing_years
from jointreview.clocks.services.common import (
    SWEEP_BATCH,
    _cache_values,
    _check_date,
    _evaluate_batch,
    _save_cache,
)
from jointreview.models import CalendarDay, CalendarYear, Clock, ClockState, DeadlineChange
from jointreview.services import common
from jointreview.services.errors import ServiceError
from jointreview.services.queue import enqueue_after_commit

logger = logging.getLogger(__name__)


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
    Raises ServiceError naming the bad line (in the active language).
    """
    text = _decoded(data)
    if fmt == "json":
        return _parse_json(text)
    if fmt != "csv":
        raise ServiceError(
            _("unknown schedule format %(format)s (expected csv or json)") % {"format": repr(fmt)}
        )
    return _parse_csv(text)


def _decoded(data: str | bytes) -> str:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ServiceError(_("the file is not UTF-8 text")) from None
    return data.lstrip("\ufeff")


def _parse_json(text: str) -> list[dict[str, Any]]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ServiceError(
            _("line %(line)s: not valid JSON (%(error)s)") % {"line": exc.lineno, "error": exc.msg}
        ) from None
    if not isinstance(items, list):
        raise ServiceError(_("the JSON file must hold a list of objects with date, is_workday, name, source"))
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ServiceError(
                _("entry %(entry)s: expected an object with date, is_workday, name, source") % {"entry": i}
            )
        unknown = sorted(set(item) - set(SCHEDULE_COLUMNS))
        if unknown:
            raise ServiceError(
                _("entry %(entry)s: unknown field(s) %(fields)s") % {"entry": i, "fields": ", ".join(unknown)}
            )
        where = _("entry %(entry)s") % {"entry": i}
        rows.append({**{k: item.get(k) for k in SCHEDULE_COLUMNS}, "line": i, "where": where})
    return rows


def _parse_csv(text: str) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    rows: list[dict[str, Any]] = []
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in row]
        if header is None:
            header = _csv_header(cells, line)
            continue
        if len(cells) > len(header):
            raise ServiceError(_("line %(line)s: %(cells)s columns, the header has %(columns)s")
                               % {"line": line, "cells": len(cells), "columns": len(header)})
        values = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
        rows.append({**{k: values.get(k, "") for k in SCHEDULE_COLUMNS}, "line": line,
                     "where": _("line %(line)s") % {"line": line}})
    if header is None:
        raise ServiceError(_("the file is empty: expected a header %(header)s and rows")
                           % {"header": ",".join(SCHEDULE_COLUMNS)})
    return rows


def _csv_header(cells: list[str], line: int) -> list[str]:
    header = [c.lower() for c in cells]
    unknown = [c for c in header if c not in SCHEDULE_COLUMNS]
    missing = [c for c in ("date", "is_workday") if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise ServiceError(_("line %(line)s: the header must be %(expected)s (got %(got)s)")
                           % {"line": line, "expected": ",".join(SCHEDULE_COLUMNS), "got": ",".join(cells)})
    return header


def _parse_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ServiceError(_("%(where)s: is_workday %(value)s is not true/false (1/0, workday/holiday)")
                       % {"where": where, "value": repr(value)})


def _parse_date(value: Any, where: str) -> date:
    text = str(value if value is not None else "").strip()
    if not text:
        raise ServiceError(_("%(where)s: the date is missing") % {"where": where})
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    raise ServiceError(_("%(where)s: date %(date)s is not a valid date (expected YYYY-MM-DD)")
                       % {"where": where, "date": text})


def _validate_rows(rows: Iterable[Mapping[str, Any]], default_source: str) -> tuple[int, list[CalendarDay]]:
    seen: dict[date, str] = {}
    year: int | None = None
    first_where = ""
    days: list[CalendarDay] = []
    for i, row in enumerate(rows, start=1):
        where = str(row.get("where") or _("line %(line)s") % {"line": row.get("line", i)})
        d = _parse_date(row.get("date"), where)
        is_workday = _parse_bool(row.get("is_workday"), where)
        name = str(row.get("name") or "").strip()
        source = str(row.get("source") or "").strip() or default_source
        if d in seen:
            raise ServiceError(
                _("%(where)s: date %(date)s appears twice (first on %(first)s); every date once")
                % {"where": where, "date": d, "first": seen[d]}
            )
        seen[d] = where
        if year is None:
            year, first_where = d.year, where
        elif d.year != year:
            raise ServiceError(
                _("%(where)s: date %(date)s is in %(year)s but %(first)s is in %(first_year)s; "
                  "a file holds one year")
                % {"where": where, "date": d, "year": d.year, "first": first_where, "first_year": year}
            )
        days.append(_checked_day(d, is_workday, name, source, where))
    if year is None:
        raise ServiceError(_("the file has no rows: one row per holiday and per adjusted working day"))
    return year, days


def _checked_day(d: date, is_workday: bool, name: str, source: str, where: str) -> CalendarDay:
    """One row as an (unsaved) CalendarDay; ServiceError naming ``where`` if its name or source is refused."""
    if "\x00" in name or "\x00" in source:
        raise ServiceError(_("%(where)s: the name or source contains a NUL character") % {"where": where})
    if len(name) > 60:
        raise ServiceError(_("%(where)s: the name is longer than 60 characters") % {"where": where})
    if len(source) > 200:
        raise ServiceError(_("%(where)s: the source is longer than 200 characters") % {"where": where})
    if not is_workday and not name:
        raise ServiceError(_("%(where)s: a holiday needs a name (e.g. 春节)") % {"where": where})
    return CalendarDay(date=d, is_workday=is_workday, name=name or "调休上班", source=source)


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
        raise ServiceError(_("say where the schedule comes from (source), e.g. 国办发明电〔2026〕X号"))
    if len(source) > 200:
        raise ServiceError(_("the source is longer than 200 characters"))
    year, days = _validate_rows(list(rows), source)
    for day in days:
        common.full_clean(day, validate_unique=False)
    with transaction.atomic():
        existing = CalendarYear.objects.select_for_update().filter(year=year).first()
        replaced, _per_model = CalendarDay.objects.filter(date__year=year).delete()
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
            verb=AuditVerb.CALENDAR_IMPORT,
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
        notify_centre(key=f"calendar-missing-{year}", kind="calendar_missing", params={"year": year},
                      admins_only=True)
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
            audit_record(actor=actor, verb=AuditVerb.CALENDAR_DAY_SET, target=row, before=before,
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
        audit_record(actor=actor, verb=AuditVerb.CALENDAR_DAY_DELETE, target=row,
                     before={"date": day, "is_workday": row.is_workday, "name": row.name, "source": row.source})
        row.delete()
        _recompute_after_commit(day)


def _recompute_after_commit(day: date) -> None:
    cause = f"calendar day {day} changed"
    transaction.on_commit(invalidate_calendar)
    enqueue_after_commit("jointreview.calendar_recompute", on_failure=calendar_recompute, year=day.year, cause=cause)
