"""What the clock services share: evaluating stored events with the working-day core, the cached
fields on ``Clock`` (and ``Assignment.due_date``, which mirrors them), the date guard, notices to the centre."""
from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview import workdays
from jointreview.models import Assignment, Clock, ClockEvent
from jointreview.services.errors import ServiceError

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200


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
        raise ServiceError(_("Clock #%(id)s: %(error)s") % {"id": clock.pk, "error": exc}) from None
    except NotImplementedError:  # never let the package's gap reach a user (workdays guards it too)
        raise ServiceError(_("The working-day calendar has no data for this date.")) from None


def _as_of(events: list[workdays.ClockEvent], today: date | None) -> date:
    """The evaluation date of the cache: today, or the last event's date if that is later."""
    as_of = today or timezone.localdate()
    if events and events[-1].on > as_of:
        as_of = events[-1].on
    return as_of


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
    mirror_due_date(clock.pk, values["due_date"])


def mirror_due_date(clock_id: int, due_date: date | None) -> None:
    """Assignment.due_date mirrors its clock's due date (the inbox sorts and filters on it without a
    join). Every change of a clock's cached values comes through here."""
    rows = Assignment.objects.filter(clock_id=clock_id)
    if due_date is None:
        rows.filter(due_date__isnull=False).update(due_date=None)
    else:
        rows.exclude(due_date=due_date).update(due_date=due_date)


def _check_date(on: object) -> date:
    if isinstance(on, datetime) or not isinstance(on, date):
        raise ServiceError(_("A clock event needs a date, got %(value)s.") % {"value": repr(on)})
    return on
