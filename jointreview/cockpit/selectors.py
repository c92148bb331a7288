"""The coordinator's cockpit: every open application with its open assignments, filtered, sorted and
counted. Centre users only (``policy.can_use_cockpit``); everybody else reads nothing here.

The query count of a page is constant in the number of rows: one count, one page of applications
(project, zone, workflow, stage, clock and accepting coordinator joined), one prefetch of the page's
open assignments (agency, reviewer, clock joined), and the counts at the top (three aggregates).

Plug-in points for the parts built beside this one (the merger wires them, see ``extensions``):
per-project budgets (clocks.budgets) and unanswered supervision records (督办, jointreview/supervision).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import F, IntegerField, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from jointreview import policy
from jointreview.cockpit import extensions
from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    OPEN_CLOCK_STATES,
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Clock,
    Deferral,
    Light,
)
from projects.models import CENTRE_ROLES, User

# open at the centre: submitted to the window, returned, in review or in revision (drafts are the owner's)
COCKPIT_STATUSES = frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED, ApplicationStatus.ACCEPTED,
                              ApplicationStatus.REVISION})
WAITING_ON_OWNER_STATUSES = frozenset({ApplicationStatus.RETURNED, ApplicationStatus.REVISION})
PAGE_SIZE = 50

_LIGHT_RANK = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2}

# sort key -> ORDER BY (the pk last, so pages never overlap)
SORTS: dict[str, tuple] = {
    "due": (F("clock__due_date").asc(nulls_last=True), F("clock_id").asc(nulls_last=True), "pk"),
    "-due": (F("clock__due_date").desc(nulls_last=True), "-pk"),
    "remaining": (F("clock__remaining_days").asc(nulls_last=True), "pk"),
    "-remaining": (F("clock__remaining_days").desc(nulls_last=True), "-pk"),
    "light": ("light_rank", F("clock__due_date").asc(nulls_last=True), "pk"),
    "-light": ("-light_rank", F("clock__due_date").asc(nulls_last=True), "pk"),
    "number": ("number",),
    "-number": ("-number",),
    "project": ("project__name", "pk"),
    "-project": ("-project__name", "-pk"),
    "workflow": ("workflow__code", "pk"),
    "-workflow": ("-workflow__code", "-pk"),
    "status": ("status", "pk"),
    "-status": ("-status", "-pk"),
    "accepted": (F("accepted_on").asc(nulls_last=True), "pk"),
    "-accepted": (F("accepted_on").desc(nulls_last=True), "-pk"),
}
DEFAULT_SORT = "due"


@dataclass(frozen=True)
class CockpitFilters:
    agency_id: int | None = None
    workflow_id: int | None = None
    stage: int | None = None
    zone_id: int | None = None
    light: str = ""
    accepted_by_id: int | None = None
    waiting: bool = False
    provisional: bool = False
    deferral_overdue: bool = False
    due_today: bool = False
    unassigned: bool = False
    sort: str = ""


def _with_open_assignment(**lookups) -> Q:
    """Applications with an open assignment matching ``lookups``: an uncorrelated IN (subquery), which
    PostgreSQL hashes once (a correlated EXISTS per application costs ~100 ms at 30,000 applications)."""
    ids = Assignment.objects.filter(status__in=OPEN_ASSIGNMENT_STATUSES, **lookups).values("application_id")
    return Q(pk__in=ids)


def _clock_q(**lookups) -> Q:
    """Applications whose own clock, or the clock of one of whose assignments, is open and matches
    ``lookups``. An open (running or paused) assignment clock belongs to an open assignment (signing or
    cancelling stops it). Both go through the clock's indexes and the unique clock_id indexes."""
    clocks = Clock.objects.filter(state__in=OPEN_CLOCK_STATES, **lookups)
    own = clocks.filter(kind=Clock.Kind.APPLICATION).values("pk")
    of_assignments = Assignment.objects.filter(
        clock_id__in=clocks.filter(kind=Clock.Kind.ASSIGNMENT).values("pk")).values("application_id")
    return Q(clock_id__in=own) | Q(pk__in=of_assignments)


def _clock_filter(today: date, f: CockpitFilters) -> Q:
    """Filters on the lights, due dates and provisional flags: the application's own clock or the clock of
    one of its open assignments."""
    q = Q()
    if f.light:
        q &= _clock_q(light=f.light)
    if f.due_today:
        q &= _clock_q(due_date=today)
    if f.provisional:
        q &= _clock_q(provisional=True)
    return q


def _case_filter(today: date, f: CockpitFilters) -> Q:
    q = Q()
    if f.agency_id:
        q &= _with_open_assignment(agency_id=f.agency_id)
    if f.workflow_id:
        q &= Q(workflow_id=f.workflow_id)
    if f.stage is not None:
        q &= Q(workflow__stage__code=f.stage)
    if f.zone_id:
        q &= Q(project__zone_id=f.zone_id)
    if f.accepted_by_id:
        q &= Q(accepted_by_id=f.accepted_by_id)
    if f.waiting:
        q &= Q(status__in=WAITING_ON_OWNER_STATUSES)
    if f.unassigned:
        q &= _with_open_assignment(status=AssignmentStatus.UNASSIGNED)
    if f.deferral_overdue:
        q &= Q(pk__in=Deferral.objects.filter(fulfilled_at__isnull=True, promised_date__lt=today)
               .values("application_id"))
    return q


def cockpit_applications(user, filters: CockpitFilters, *, today: date) -> QuerySet[Application]:
    """Every open application matching the filters, sorted: a lean query (the application and what it is
    filtered and sorted on) to paginate; ``cockpit_rows`` then loads what the page shows."""
    if not policy.can_use_cockpit(user):
        return Application.objects.none()
    qs = Application.objects.filter(status__in=COCKPIT_STATUSES).filter(
        _case_filter(today, filters) & _clock_filter(today, filters))
    order = SORTS.get(filters.sort or DEFAULT_SORT, SORTS[DEFAULT_SORT])
    if "light_rank" in order or "-light_rank" in order:
        qs = qs.annotate(light_rank=_light_rank())
    return qs.order_by(*order)


class _DueFirstIds:
    """The ids of the default view (soonest due first) without sorting every open application: the
    applications with a clock come in the order of the clock's (due_date, id) index, the ones without a
    clock (at the window, returned) after them by id -- the same order as ``SORTS["due"]``, read as
    two index scans that stop at the page (a sort of the joined rows costs ~50 ms at 30,000)."""

    def __init__(self, applications: QuerySet[Application]):
        self.applications = applications.order_by()

    def count(self) -> int:
        return self.applications.count()

    def _clocked(self):
        return (Clock.objects.filter(kind=Clock.Kind.APPLICATION, application__in=self.applications)
                .order_by(F("due_date").asc(nulls_last=True), "pk").values_list("application__pk", flat=True))

    def __getitem__(self, window: slice) -> list[int]:
        start, stop = window.start or 0, window.stop
        ids = list(self._clocked()[start:stop])
        if stop is not None and len(ids) == stop - start:
            return ids
        clocked = start + len(ids) if ids or not start else self._clocked().count()
        rest = self.applications.filter(clock__isnull=True).order_by("pk").values_list("pk", flat=True)
        return ids + list(rest[max(0, start - clocked):None if stop is None else stop - clocked])


def ordered_ids(applications: QuerySet[Application], filters: CockpitFilters):
    """The sorted ids of the filtered applications, sliceable (a page, or all of them for an export)."""
    unfiltered = filters == CockpitFilters(sort=filters.sort)
    if unfiltered and (filters.sort or DEFAULT_SORT) == "due":
        return _DueFirstIds(applications)  # the unfiltered default view: two index scans
    if not unfiltered:
        # a filtered view: its (few) ids in one sorted query, rather than a count and a page that each
        # evaluate the filters again
        return list(applications.values_list("pk", flat=True))
    return applications.values_list("pk", flat=True)


def cockpit_rows(application_ids: list[int]) -> list[Application]:
    """The rows of one page (or one export chunk), in the given order, with their project, zone, owner,
    workflow, stage, clock and accepting coordinator joined and their open assignments prefetched."""
    apps = (
        Application.objects.filter(pk__in=application_ids)
        .select_related("project__zone", "project__owner", "workflow__stage", "clock", "accepted_by")
        .prefetch_related(Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(status__in=OPEN_ASSIGNMENT_STATUSES)
            .select_related("agency", "reviewer", "clock").order_by("agency__name", "pk"),
            to_attr="open_assignments",
        ))
    )
    by_id = {app.pk: app for app in apps}
    return [by_id[pk] for pk in application_ids if pk in by_id]


def _light_rank():
    from django.db.models import Case, When

    return Coalesce(Case(*(When(clock__light=light, then=Value(rank)) for light, rank in _LIGHT_RANK.items()),
                         output_field=IntegerField()), Value(3))


def cockpit_counts(user, *, today: date) -> dict[str, int | None]:
    """The counts at the top, over all open work (each links to the filter that shows those cases).

    ``supervision_unanswered``: the supervision records (督办) awaiting an answer."""
    if not policy.can_use_cockpit(user):
        return {}
    open_clocks = Clock.objects.filter(state__in=OPEN_CLOCK_STATES)
    return {  # one count each, through the clock's (due_date, id) and (state, light) indexes
        "due_today": open_clocks.filter(due_date=today).count(),
        "yellow": open_clocks.filter(light=Light.YELLOW).count(),
        "red": open_clocks.filter(light=Light.RED).count(),
        "unassigned": Assignment.objects.filter(status=AssignmentStatus.UNASSIGNED).count(),
        "waiting": Application.objects.filter(status__in=WAITING_ON_OWNER_STATUSES).count(),
        "supervision_unanswered": extensions.supervision_unanswered(user),
    }


def attach_budgets(applications: list[Application]) -> None:
    """Each row's project budget (``clocks.budgets.ProjectBudget``) as ``app.budget``."""
    budgets = extensions.project_budgets({app.project_id for app in applications})
    for app in applications:
        app.budget = budgets.get(app.project_id) if budgets else None


def cockpit_coordinators(user) -> list:
    """The centre's staff, for the "accepted by" filter (首问负责)."""
    if not policy.can_use_cockpit(user):
        return []
    return list(User.objects.filter(role__in=CENTRE_ROLES, is_active=True).order_by("display_name", "username"))
