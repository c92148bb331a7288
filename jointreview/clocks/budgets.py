"""Project budgets (the filing-to-permit promise, 40 working days by default) for many projects at once.

``project_budgets(project_ids)`` reads the catalogue (stages, caps, workflow limits), the projects' stage 1-3
applications, their assignments and their clocks' ``last_seq`` in a constant number of queries (8 at most,
whatever the number of projects), reads the events only of projects whose inputs changed since this process last
computed them (``_Memo``), and hands them to the pure core ``jointreview.workdays.budget``. It applies no permission: callers
filter the ids first (``policy.budget_project_ids``, or ``clocks.selectors.budgets_for``). The escalation sweep
and the coordinator's cockpit call it; ``clocks.services.budgets.project_budget_refresh`` caches its lights.
"""
from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
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


@dataclass
class _Rows:
    """What a project's figures are computed from, read for many projects at once (2 queries): its counted
    applications and their assignments, each row with its clock's ``last_seq`` (clock events are
    append-only and ``last_seq`` moves with each one, so the rows change exactly when an input does)."""

    apps: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))  # project id -> app rows
    assignments: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))  # app id -> rows

    def clock_ids(self, project_id: int) -> list[int]:
        apps = self.apps.get(project_id, [])
        return [a[5] for a in apps] + [r[1] for a in apps for r in self.assignments.get(a[0], [])]

    def fingerprint(self, project_id: int) -> tuple:
        apps = self.apps.get(project_id, [])
        return tuple(apps), tuple(tuple(self.assignments.get(a[0], [])) for a in apps)


def _rows(project_ids: list[int]) -> _Rows:
    rows = _Rows()
    apps = Application.objects.filter(COUNTED_APPLICATIONS, project_id__in=project_ids, clock__isnull=False)
    for row in apps.order_by("pk").values_list("pk", "project_id", "workflow_id", "workflow__stage__code",
                                               "status", "clock_id", "clock__state", "clock__last_seq"):
        rows.apps[row[1]].append(row)
    app_ids = [a[0] for group in rows.apps.values() for a in group]
    for row in (Assignment.objects.filter(application_id__in=app_ids, clock__isnull=False).order_by("pk")
                .values_list("application_id", "clock_id", "agency__agency_type", "clock__last_seq")):
        rows.assignments[row[0]].append(row)
    return rows


def _tracks(rows: _Rows, project_ids: list[int], cat: _Catalogue) -> dict[int, list[core.AppTrack]]:
    events = _events([c for pk in project_ids for c in rows.clock_ids(pk)])
    out: dict[int, list[core.AppTrack]] = defaultdict(list)
    for project_id in project_ids:
        for pk, _project, wf_id, code, status, clock_id, state, _seq in rows.apps.get(project_id, []):
            evs = events.get(clock_id, [])
            approved = evs[-1].on if status == ApplicationStatus.APPROVED and state == ClockState.STOPPED and evs \
                else None
            done = [core.AssignmentTrack(events.get(c, ()), agency_type == AgencyType.INTERMEDIARY)
                    for _a, c, agency_type, _seq in rows.assignments.get(pk, [])]
            out[project_id].append(core.AppTrack(code, evs, done, approved, wf_id in cat.end_workflows,
                                                 cat.step_of.get(wf_id, 1)))
    return out


class _Memo:
    """Each process keeps the figures it computed, keyed by everything they are computed from (the day, the
    calendar object, the settings, the catalogue, the project's own fields and its ``_Rows.fingerprint``):
    a page asking again for an unchanged project reads 2 small queries instead of every clock event and
    recomputing. Any change to those inputs is a different key, so nothing is ever stale; the oldest
    entries are dropped past ``size``."""

    def __init__(self, size: int = 20000):
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def clear(self) -> None:
        with self.lock:
            self.data.clear()

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            while len(self.data) > self.size:
                self.data.popitem(last=False)


_memo = _Memo()


def _catalogue_key(cat: _Catalogue) -> tuple:
    return (tuple((s.code, s.counts_to_timeline) for s in cat.stages), tuple(sorted(cat.caps.items())),
            tuple(sorted(cat.promised.items())), tuple(sorted(cat.last_step.items())),
            tuple(sorted(cat.step_of.items())), tuple(sorted(cat.end_workflows)))


def project_budgets(project_ids: Iterable[int], *, today: date | None = None) -> dict[int, ProjectBudget]:
    """Budgets of the given projects (missing ids are left out), in a constant number of queries."""
    ids = sorted({int(pk) for pk in project_ids})
    if not ids:
        return {}
    today = today or timezone.localdate()
    cat = _catalogue()
    projects = list(Project.objects.filter(pk__in=ids).only("pk", "name", "code", "owner_id", "flow_type",
                                                            "land_with_scheme", "filing_date"))
    rows = _rows(ids)
    calendar, target = get_calendar(), total_target_days()
    margin = int(getattr(settings, "JR_BUDGET_YELLOW_DAYS", 5))
    common = (today, calendar, target, margin, _catalogue_key(cat))
    keys = {p.pk: (*common, p.pk, p.flow_type, p.land_with_scheme, p.filing_date, rows.fingerprint(p.pk))
            for p in projects}
    rules = {p.pk: stage_rules(cat, p) for p in projects}
    figures = {pk: f for pk, key in keys.items() if (f := _memo.get(key)) is not None}
    missing = [p for p in projects if p.pk not in figures]
    tracks = _tracks(rows, [p.pk for p in missing], cat) if missing else {}
    for project in missing:
        figures[project.pk] = core.budget(tracks.get(project.pk, []), rules=rules[project.pk],
                                          filing_date=project.filing_date, target=target, calendar=calendar,
                                          today=today, margin=margin)
        _memo.put(keys[project.pk], figures[project.pk])
    names = {str(st.code): st.name for st in cat.stages}
    names[MERGED] = f"{names.get('2', '2')} + {names.get('3', '3')}"
    return {p.pk: ProjectBudget(p, figures[p.pk], len(rows.apps.get(p.pk, [])),
                                any(r.key == MERGED for r in rules[p.pk]), names) for p in projects}
