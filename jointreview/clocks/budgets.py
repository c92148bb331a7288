"""Project budgets (the filing-to-permit promise, 40 working days by default) for many projects at once.

``project_budgets(project_ids)`` reads the catalogue (stages, caps, workflow limits), the projects' stage 1-3
applications, their assignments and every clock event in a constant number of queries (8, whatever the number of
projects), and hands them to the pure core ``jointreview.workdays.budget``. It applies no permission: callers
filter the ids first (``policy.budget_project_ids``, or ``clocks.selectors.budgets_for``). The escalation sweep
and the coordinator's cockpit call it; ``clocks.services.budgets.project_budget_refresh`` caches its lights.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from jointreview.catalogue.models import Item, Stage, StageCap, Workflow, total_target_days
from jointreview.clocks.calendar import get_calendar
from jointreview.clocks.models import ClockEvent, ClockState
from jointreview.intake.models import Application, ApplicationStatus
from jointreview.review.models import Assignment
from jointreview.workdays import budget as core
from projects.models import AgencyType, FlowType, Project

# Applications whose time counts toward the filing-to-permit target (stages 1-3).
COUNTED_APPLICATIONS = Q(workflow__stage__counts_to_timeline=True) | Q(workflow__stage__code__lte=3)
MERGED = "2+3"  # land sold with a design scheme: stages 2 and 3 are one budget (docs/domain.md §2)


@dataclass(frozen=True)
class ProjectBudget:
    """A project's budget against the centre's target (working days of government time).

    Fields:
      project           the Project (owner, flow type, filing date loaded)
      figures           the pure core's ``BudgetFigures``; the properties below read it:
      target            the centre's target (``JR_TOTAL_TARGET_DAYS``, default 40)
      stages            per stage (keys "1", "2", "3", or "1" and "2+3" when stages 2 and 3 merge): ``codes``,
                        ``cap`` (StageCap of the project type; None when none is set), ``promised`` (what the
                        stage's workflows promise), ``counters`` (government / applicant / intermediary /
                        suspended working days), ``started``, ``done``, ``projected`` (its government days in
                        all), ``light``
      total             the four counters over the whole timeline (``total.government`` = ``used``)
      used              government working days since the filing date
      remaining         ``target - used`` (negative when over)
      projected_total   used + the promised days of what remains
      projected_finish  the date the 施工许可证 is expected (or was issued, when ``complete``)
      complete          the 施工许可证 is issued: the timeline ends there
      light             green / yellow (within ``JR_BUDGET_YELLOW_DAYS`` of a cap or the target) / red
                        (projected or actual over a stage cap or the target)
      provisional       the dates touch a year without an official holiday schedule
      applications      how many stage 1-3 applications with a clock were counted
      merged            stages 2 and 3 merged (land sold with a design scheme)
      stage_names       stage key -> the stage's name (catalogue data), for ``stage_rows``
    """

    project: Project
    figures: core.BudgetFigures
    applications: int
    merged: bool
    stage_names: dict = field(default_factory=dict)

    target = property(lambda self: self.figures.target)
    stages = property(lambda self: self.figures.stages)
    total = property(lambda self: self.figures.total)
    used = property(lambda self: self.figures.total.government)
    remaining = property(lambda self: self.figures.remaining)
    projected_total = property(lambda self: self.figures.projected_total)
    projected_finish = property(lambda self: self.figures.projected_finish)
    complete = property(lambda self: self.figures.complete)
    light = property(lambda self: self.figures.light)
    provisional = property(lambda self: self.figures.provisional)
    filing_date = property(lambda self: self.project.filing_date)
    red = property(lambda self: self.figures.light == core.RED)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.target)) if self.target else 100

    @property
    def stage_rows(self) -> list[dict[str, object]]:
        return [{"name": self.stage_names.get(s.key, s.key), "stage": s} for s in self.stages]

    @property
    def bar(self) -> dict[str, object]:
        """The owner's bar (an SVG 100 units wide): government days, the government days still expected, then the
        owner's, intermediary and suspended days, stacked; the target mark counts against the first two only."""
        t = self.total
        ahead = 0 if self.complete else max(0, self.projected_total - t.government)
        scale = max(self.target, t.elapsed + ahead, 1)
        counts = [("government", t.government), ("projected", ahead), ("applicant", t.applicant),
                  ("intermediary", t.intermediary), ("suspended", t.suspended)]
        segments, x = [], 0.0
        for counter, days in counts:
            width = round(100 * days / scale, 2)
            if days:
                segments.append({"counter": counter, "days": days, "x": x, "width": width})
            x = round(x + width, 2)
        # the target mark (0.6 wide) stays inside the bar when the target is its whole width
        return {"segments": segments, "target_at": min(round(100 * self.target / scale, 2), 99.4)}


@dataclass
class _Catalogue:
    stages: list[Stage]
    caps: dict[tuple[str, int], int]
    promised: dict[int, int]
    last_step: dict[int, int]
    step_of: dict[int, int]  # workflow id -> sequence
    end_workflows: set[int]


def _catalogue() -> _Catalogue:
    stages = list(Stage.objects.filter(Q(counts_to_timeline=True) | Q(code__lte=3)).order_by("code"))
    caps = {(ft, code): days for ft, code, days in StageCap.objects.values_list("flow_type", "stage__code", "cap_days")}
    steps: dict[int, dict[int, int]] = defaultdict(dict)
    step_of = {}
    for wf_id, code, seq, limit in Workflow.objects.filter(is_active=True).values_list(
        "pk", "stage__code", "sequence", "limit_value"
    ):
        steps[code][seq] = max(steps[code].get(seq, 0), limit)
        step_of[wf_id] = seq
    end = set(Item.objects.filter(code=settings.JR_TIMELINE_END_ITEM).values_list("workflow_id", flat=True))
    return _Catalogue(stages, caps, {c: sum(s.values()) for c, s in steps.items()},
                      {c: max(s) for c, s in steps.items()}, step_of, end)


def stage_rules(cat: _Catalogue, project: Project) -> list[core.StageRule]:
    """The stages of the target for this project's type; 2 and 3 merged for land sold with a design scheme."""
    ft = project.flow_type
    rules = [core.StageRule(str(s.code), (s.code,), cat.caps.get((ft, s.code)), cat.promised.get(s.code, 0),
                            cat.last_step.get(s.code, 1)) for s in cat.stages]
    merge = project.land_with_scheme or ft == FlowType.LAND_WITH_SCHEME
    two = next((r for r in rules if r.codes == (2,)), None)
    three = next((r for r in rules if r.codes == (3,)), None)
    if not merge or two is None or three is None:
        return rules
    cap = None if two.cap is None or three.cap is None else two.cap + three.cap
    merged = core.StageRule(MERGED, (2, 3), cap, two.promised + three.promised, three.last_step)
    return [r for r in rules if r.codes not in ((2,), (3,))] + [merged]


def _events(clock_ids: Iterable[int]) -> dict[int, list[core.Event]]:
    out: dict[int, list[core.Event]] = defaultdict(list)
    rows = ClockEvent.objects.filter(clock_id__in=list(clock_ids)).order_by("clock_id", "seq").values_list(
        "clock_id", "kind", "on", "reason"
    )
    for clock_id, kind, on, reason in rows:
        out[clock_id].append(core.Event(kind, on, reason or ""))
    return out


def _tracks(project_ids: list[int], cat: _Catalogue) -> dict[int, list[core.AppTrack]]:
    apps = list(
        Application.objects.filter(COUNTED_APPLICATIONS, project_id__in=project_ids, clock__isnull=False)
        .values_list("pk", "project_id", "workflow_id", "workflow__stage__code", "status", "clock_id",
                     "clock__state")
    )
    assignments = list(
        Assignment.objects.filter(application_id__in=[a[0] for a in apps], clock__isnull=False)
        .values_list("application_id", "clock_id", "agency__agency_type")
    )
    events = _events([a[5] for a in apps] + [a[1] for a in assignments])
    by_app: dict[int, list[core.AssignmentTrack]] = defaultdict(list)
    for app_id, clock_id, agency_type in assignments:
        by_app[app_id].append(core.AssignmentTrack(events.get(clock_id, ()), agency_type == AgencyType.INTERMEDIARY))
    out: dict[int, list[core.AppTrack]] = defaultdict(list)
    for pk, project_id, wf_id, code, status, clock_id, state in apps:
        evs = events.get(clock_id, [])
        approved = evs[-1].on if status == ApplicationStatus.APPROVED and state == ClockState.STOPPED and evs else None
        out[project_id].append(core.AppTrack(code, evs, by_app.get(pk, []), approved, wf_id in cat.end_workflows,
                                             cat.step_of.get(wf_id, 1)))
    return out


def project_budgets(project_ids: Iterable[int], *, today: date | None = None) -> dict[int, ProjectBudget]:
    """Budgets of the given projects (missing ids are left out), in a constant number of queries."""
    ids = sorted({int(pk) for pk in project_ids})
    if not ids:
        return {}
    today = today or timezone.localdate()
    cat = _catalogue()
    projects = Project.objects.filter(pk__in=ids).only("pk", "name", "code", "owner_id", "flow_type",
                                                       "land_with_scheme", "filing_date")
    tracks = _tracks(ids, cat)
    calendar, target = get_calendar(), total_target_days()
    margin = int(getattr(settings, "JR_BUDGET_YELLOW_DAYS", 5))
    out = {}
    for project in projects:
        apps = tracks.get(project.pk, [])
        rules = stage_rules(cat, project)
        figures = core.budget(apps, rules=rules, filing_date=project.filing_date, target=target,
                              calendar=calendar, today=today, margin=margin)
        names = {str(st.code): st.name for st in cat.stages}
        names[MERGED] = f"{names.get('2', '2')} + {names.get('3', '3')}"
        out[project.pk] = ProjectBudget(project, figures, len(apps), any(r.key == MERGED for r in rules), names)
    return out
