"""Reads for the clocks dashboard and the project timeline (the 40-working-day target).

Centre users (coordinator/admin) read every clock; everybody else gets nothing here (the views
answer 403). Project timelines are plain functions of a project and can be shown to anyone who
may see the project (the caller checks that).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from jointreview import policy, workdays
from jointreview.clocks.calendar import get_calendar, missing_years
from jointreview.models import (
    Application,
    ApplicationStatus,
    Clock,
    ClockEvent,
    ClockState,
    DeadlineChange,
    Light,
)
from projects.models import Project

OPEN_STATES = (ClockState.RUNNING, ClockState.PAUSED)
LIGHT_ORDER = Case(
    When(light=Light.RED, then=Value(0)),
    When(light=Light.YELLOW, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
# Applications whose government time counts toward the filing-to-permit target (stages 1-3).
COUNTED_APPLICATIONS = Q(workflow__stage__counts_to_timeline=True) | Q(workflow__stage__code__lte=3)


def clock_list(user, *, light: str = "", provisional: bool = False) -> QuerySet[Clock]:
    """Every open (running or paused) clock, red first, then yellow, then by due date."""
    if not policy.can_watch_clocks(user):
        return Clock.objects.none()
    qs = (
        Clock.objects.filter(state__in=OPEN_STATES)
        .select_related(
            "application__project",
            "application__workflow",
            "assignment__agency",
            "assignment__application__project",
            "assignment__application__workflow",
        )
        .annotate(light_order=LIGHT_ORDER)
        .order_by("light_order", "due_date", "pk")
    )
    if light:
        qs = qs.filter(light=light)
    if provisional:
        qs = qs.filter(provisional=True)
    return qs


def clock_counts(user) -> dict[str, int]:
    """Open clocks per light (for the filter bar)."""
    if not policy.can_watch_clocks(user):
        return {}
    from django.db.models import Count

    counts = {row["light"]: row["n"] for row in
              Clock.objects.filter(state__in=OPEN_STATES).values("light").annotate(n=Count("pk")).order_by()}
    return {light: counts.get(light, 0) for light in Light.values}


def clock_subject(clock: Clock) -> dict[str, object]:
    """What a clock belongs to, from the select_related of ``clock_list`` (no queries)."""
    assignment = _reverse(clock, "assignment")
    if assignment is not None:
        app = assignment.application
        return {"kind": "assignment", "application": app, "project": app.project, "agency": assignment.agency,
                "round": assignment.round_number}
    app = _reverse(clock, "application")
    if app is not None:
        return {"kind": "application", "application": app, "project": app.project, "agency": None, "round": None}
    return {"kind": clock.kind, "application": None, "project": None, "agency": None, "round": None}


def _reverse(clock: Clock, name: str):
    try:
        return getattr(clock, name)
    except Exception:  # RelatedObjectDoesNotExist
        return None


def recent_deadline_changes(user, *, limit: int = 20) -> QuerySet[DeadlineChange]:
    if not policy.can_watch_clocks(user):
        return DeadlineChange.objects.none()
    return DeadlineChange.objects.select_related("clock").order_by("-changed_at", "-pk")[:limit]


def calendar_warning(*, today: date | None = None) -> list[int]:
    """Years whose official schedule is missing and should be imported now."""
    return missing_years(today=today)


# ---------------------------------------------------------------------------
# the project timeline
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectTimeline:
    project: Project
    target: int
    filing_date: date | None
    used: int
    remaining: int
    projected_finish: date
    red: bool
    provisional: bool
    applications: int
    complete: bool

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.target)) if self.target else 100

    @property
    def light(self) -> str:
        if self.red:
            return Light.RED
        warn_days, warn_percent = settings.JR_WARN_DAYS, settings.JR_WARN_PERCENT
        if not self.complete and (self.remaining <= warn_days or self.remaining * 100 <= warn_percent * self.target):
            return Light.YELLOW
        return Light.GREEN


def government_intervals(events: Iterable) -> list[tuple[date, date | None]]:
    """Running intervals of one clock: start->pause, resume->pause/stop, last one open (None)."""
    out: list[tuple[date, date | None]] = []
    open_since: date | None = None
    for event in events:
        kind, on = event.kind, event.on
        if kind in ("start", "resume"):
            if open_since is None:
                open_since = on
        elif kind in ("pause", "stop") and open_since is not None:
            out.append((open_since, on))
            open_since = None
    if open_since is not None:
        out.append((open_since, None))
    return out


def _timeline_for(project: Project, applications: list[Application], today: date) -> ProjectTimeline:
    target = int(getattr(settings, "JR_TIMELINE_TARGET_DAYS", 40))
    calendar = get_calendar()
    intervals: list[tuple[date, date | None]] = []
    complete_on: date | None = None
    complete = False
    for app in applications:
        clock = app.clock
        if clock is None:
            continue
        events = sorted(clock.events.all(), key=lambda e: e.seq)
        intervals.extend(government_intervals(events))
        stage_code = app.workflow.stage.code
        if stage_code == 3 and app.status == ApplicationStatus.APPROVED and events and events[-1].kind == "stop":
            complete = True
            complete_on = max(complete_on or events[-1].on, events[-1].on)
    filing = project.filing_date
    start = filing or min((s for s, _ in intervals), default=today)
    as_of = today
    if complete and complete_on is not None:
        as_of = max(complete_on, start)
    status = workdays.timeline(
        intervals, filing_date=min(start, as_of), target=target, calendar=calendar, today=as_of
    )
    finish = complete_on if complete and complete_on else status.projected_finish
    return ProjectTimeline(
        project=project,
        target=target,
        filing_date=filing,
        used=status.used,
        remaining=status.remaining,
        projected_finish=finish,
        red=status.red,
        provisional=status.provisional,
        applications=len(applications),
        complete=complete,
    )


def _counted_applications_prefetch() -> Prefetch:
    return Prefetch(
        "applications",
        queryset=Application.objects.filter(COUNTED_APPLICATIONS, clock__isnull=False)
        .select_related("clock", "workflow__stage")
        .prefetch_related(Prefetch("clock__events", queryset=ClockEvent.objects.order_by("seq")))
        .order_by("pk"),
        to_attr="counted_applications",
    )


def project_timelines(user, *, today: date | None = None, limit: int = 100) -> list[ProjectTimeline]:
    """Timelines of projects with a started stage 1-3 clock, red first (centre users only)."""
    if not policy.can_watch_clocks(user):
        return []
    today = today or timezone.localdate()
    projects = (
        Project.objects.filter(
            pk__in=Application.objects.filter(COUNTED_APPLICATIONS, clock__started_on__isnull=False).values(
                "project_id"
            )
        )
        .prefetch_related(_counted_applications_prefetch())
        .order_by("-filing_date", "-pk")[:limit]
    )
    out = [_timeline_for(p, p.counted_applications, today) for p in projects]
    out.sort(key=lambda t: (not t.red, t.complete, -t.used))
    return out
