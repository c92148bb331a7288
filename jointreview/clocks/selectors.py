"""Reads for the clocks dashboard and the project timeline (the 40-working-day target).

Centre users (coordinator/admin) read every clock; everybody else gets nothing here (the views
answer 403). Project timelines are plain functions of a project and can be shown to anyone who
may see the project (the caller checks that).
"""
from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from jointreview import policy
from jointreview.clocks.budgets import COUNTED_APPLICATIONS, ProjectBudget, project_budgets
from jointreview.clocks.calendar import missing_years
from jointreview.models import (
    OPEN_CLOCK_STATES,
    Application,
    Clock,
    DeadlineChange,
    Light,
    light_order,
)
from projects.models import Project


def clock_list(user, *, light: str = "", provisional: bool = False) -> QuerySet[Clock]:
    """Every open (running or paused) clock, red first, then yellow, then by due date."""
    if not policy.can_watch_clocks(user):
        return Clock.objects.none()
    qs = (
        Clock.objects.filter(state__in=OPEN_CLOCK_STATES)
        .select_related(
            "application__project",
            "application__workflow",
            "assignment__agency",
            "assignment__application__project",
            "assignment__application__workflow",
        )
        .annotate(light_order=light_order())
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
              Clock.objects.filter(state__in=OPEN_CLOCK_STATES).values("light").annotate(n=Count("pk")).order_by()}
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
# the project timeline (the budget: four counters per stage and in total)
# ---------------------------------------------------------------------------


def budgets_for(user, project_ids, *, today: date | None = None) -> dict[int, ProjectBudget]:
    """The budgets of those projects the user may see (policy.budget_project_ids), by project id."""
    return project_budgets(policy.budget_project_ids(user, project_ids), today=today)


def attach_budgets(user, applications) -> None:
    """Each application's project budget as ``app.budget`` (None where the user may not see it): one
    ``budgets_for`` call, a constant number of queries, for any number of rows."""
    applications = list(applications)
    budgets = budgets_for(user, {app.project_id for app in applications})
    for app in applications:
        app.budget = budgets.get(app.project_id)


def project_timelines(user, *, today: date | None = None, limit: int = 100) -> list[ProjectBudget]:
    """Budgets of projects with a started stage 1-3 clock, red first, then yellow (centre users only)."""
    if not policy.can_watch_clocks(user):
        return []
    ids = list(
        Project.objects.filter(
            pk__in=Application.objects.filter(COUNTED_APPLICATIONS, clock__started_on__isnull=False).values(
                "project_id"
            )
        ).order_by("-filing_date", "-pk").values_list("pk", flat=True)[:limit]
    )
    budgets = project_budgets(ids, today=today)
    order = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2}
    out = [budgets[pk] for pk in ids if pk in budgets]
    out.sort(key=lambda b: (order.get(b.light, 3), b.complete, -b.used))
    return out
