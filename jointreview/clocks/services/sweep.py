"""The beat sweep: re-evaluate open clocks once a day, move the lights, tell the centre (yellow/red)."""
from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jointreview.audit.services import notify_centre
from jointreview.clocks.calendar import get_calendar
from jointreview.clocks.services.common import SWEEP_BATCH, _cache_values, _evaluate_batch, mirror_due_date
from jointreview.models import OPEN_CLOCK_STATES, Application, Assignment, Clock, ClockState, Light


def _clock_subject(clock: Clock) -> tuple[dict[str, Any], dict[str, Any]]:
    """(notification parameters, links) of a clock's light change: what the clock is about."""
    links: dict[str, Any] = {}
    what = f"#{clock.pk}"
    assignment = Assignment.objects.filter(clock_id=clock.pk).select_related("application", "agency").first()
    if assignment is not None:
        links = {"assignment": assignment, "application": assignment.application}
        what = f"{assignment.application.number} / {assignment.agency}"
    else:
        app = Application.objects.filter(clock_id=clock.pk).first()
        if app is not None:
            links = {"application": app}
            what = app.number
    return {"what": what, "due": clock.due_date}, links


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
                .filter(state__in=OPEN_CLOCK_STATES, pk__gt=last_pk)
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
                mirror_due_date(clock.pk, clock.due_date)
                if status.light != old_light or status.state != old_state:
                    stats["changed"] += 1
                if status.light in (Light.YELLOW, Light.RED) and status.light != old_light:
                    stats[status.light] += 1
                if status.light in (Light.YELLOW, Light.RED) and status.state != ClockState.STOPPED:
                    params, links = _clock_subject(clock)
                    stats["notified"] += notify_centre(
                        key=f"clock-{clock.pk}-{status.light}", kind=f"clock_{status.light}", params=params,
                        **links,
                    )
    return stats
