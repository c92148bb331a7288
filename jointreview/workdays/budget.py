"""A project's filing-to-permit budget as four counters (pure: no Django, no ORM).

docs/domain.md §3.1 keeps four counters of working days: government, applicant (the owner), intermediary
(中介服务: its own clock, from contract to report) and statutory suspensions (特别程序). Each working day after the
filing date (核准/备案) is given to ONE counter, so a day is never counted twice:

- the application clock runs and some government assignment clock runs → government;
- else an intermediary assignment clock runs → intermediary;
- else an assignment clock is paused for a special procedure (expert review, hearing …) → suspended;
- else an assignment clock is paused for the owner (supplement, revision) → applicant;
- else the application clock runs (the centre's own time: checks, consolidation) → government;
- the application clock is paused for the owner (supplement, revision) → applicant, for anything else → suspended.

Across applications (a stage, or the whole timeline) the priority is government > intermediary > suspended >
applicant. In the total, a day after the filing date on which nothing of the above happens (no clock of stages
1-3 open: the owner has not applied for the next step yet) counts as the owner's.

The projected finish adds, to what is used, the promised days of what remains: a stage not started needs its
promised days (the longest workflow limit of each step, steps one after another); a stage in progress needs its
promised days minus its government days (at least nothing more). The light is red when the projected or the
actual government time of a stage exceeds its cap, or of the whole exceeds the target; yellow when a stage or
the whole is still open with no more than ``margin`` working days left of its cap or of the target.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from jointreview.workdays.calendar import WorkCalendar

GOVERNMENT, INTERMEDIARY, SUSPENDED, APPLICANT = "government", "intermediary", "suspended", "applicant"
COUNTERS = (GOVERNMENT, APPLICANT, INTERMEDIARY, SUSPENDED)
_PRIORITY = {GOVERNMENT: 0, INTERMEDIARY: 1, SUSPENDED: 2, APPLICANT: 3}
APPLICANT_PAUSES = frozenset({"supplement", "revision"})  # the owner's move; other pause reasons are 特别程序
GREEN, YELLOW, RED = "green", "yellow", "red"


@dataclass(frozen=True, slots=True)
class Event:
    """One clock event: kind in start/pause/resume/extend/stop, its date and (pauses) its reason."""

    kind: str
    on: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AssignmentTrack:
    events: Sequence[Event]
    intermediary: bool = False


@dataclass(frozen=True, slots=True)
class AppTrack:
    """One application of stage 1-3 with its clock events and its agencies' assignment clocks."""

    stage: int
    events: Sequence[Event]
    assignments: Sequence[AssignmentTrack] = ()
    approved_on: date | None = None  # its clock's stop date when the application was approved
    ends_timeline: bool = False  # it issues the item that ends the timeline (施工许可证)
    step: int = 1  # the workflow's step within its stage (Workflow.sequence)


@dataclass(frozen=True, slots=True)
class StageRule:
    """A stage of the target: its code(s) (2 and 3 when merged), its cap, promised days and last step."""

    key: str
    codes: tuple[int, ...]
    cap: int | None
    promised: int
    last_step: int = 1


@dataclass(frozen=True, slots=True)
class Counters:
    government: int = 0
    applicant: int = 0
    intermediary: int = 0
    suspended: int = 0

    @property
    def elapsed(self) -> int:
        return self.government + self.applicant + self.intermediary + self.suspended


@dataclass(frozen=True, slots=True)
class StageFigures:
    key: str
    codes: tuple[int, ...]
    cap: int | None
    promised: int
    counters: Counters
    started: bool
    done: bool
    projected: int  # government days this stage is expected to take in all
    light: str


@dataclass(frozen=True, slots=True)
class BudgetFigures:
    target: int
    stages: tuple[StageFigures, ...]
    total: Counters
    remaining: int  # target minus government days used (negative: over)
    projected_total: int  # government days used plus the promised days of what remains
    projected_finish: date  # the finish date, or the projection when not finished
    complete: bool
    light: str
    provisional: bool
    as_of: date = field(default=date.min)


def _segments(events: Iterable[Event], until: int) -> list[tuple[int, int, str]]:
    """(start, end, state) spans of a clock: state "run" or "pause:<reason>"; days count in (start, end]."""
    out: list[tuple[int, int, str]] = []
    state, since = "", 0
    for ev in events:
        o = ev.on.toordinal()
        if ev.kind in ("start", "resume") and not state.startswith("run"):
            if state:
                out.append((since, o, state))
            state, since = "run", o
        elif ev.kind == "pause" and state == "run":
            out.append((since, o, state))
            state, since = f"pause:{ev.reason}", o
        elif ev.kind == "stop" and state:
            out.append((since, o, state))
            state = "stop"
    if state and state != "stop":
        out.append((since, until, state))
    return [(s, min(e, until), st) for s, e, st in out if min(e, until) > s]


def _state(segments: list[tuple[int, int, str]], p: int, q: int) -> str | None:
    """The state of a clock over the piece (p, q], which lies wholly inside one of its segments or none."""
    for s, e, st in segments:
        if s <= p and q <= e:
            return st
    return None


def _pieces(points: Iterable[int], floor: int, until: int) -> list[tuple[int, int]]:
    """Consecutive pieces (p, q] of (floor, until] cut at the given points."""
    if until <= floor:
        return []
    pts = sorted({min(max(p, floor), until) for p in points} | {floor, until})
    return list(zip(pts, pts[1:], strict=False))


def _assignment_category(p: int, q: int, asg: list[tuple[bool, list[tuple[int, int, str]]]]) -> str | None:
    best: str | None = None
    for intermediary, segments in asg:
        st = _state(segments, p, q)
        if st is None:
            continue
        if st == "run":
            cat = INTERMEDIARY if intermediary else GOVERNMENT
        else:
            cat = APPLICANT if st[6:] in APPLICANT_PAUSES else SUSPENDED
        if best is None or _PRIORITY[cat] < _PRIORITY[best]:
            best = cat
    return best


def application_spans(app: AppTrack, *, floor: int, until: int) -> list[tuple[int, int, str]]:
    """(p, q, counter) pieces of one application: the days in (p, q] count for that counter (module docstring).

    The work is done per piece between two events of any of its clocks, not per day, so a long timeline costs
    no more than a short one."""
    own = _segments(app.events, until)
    asg = [(a.intermediary, _segments(a.events, until)) for a in app.assignments]
    points = [x for s, e, _ in own for x in (s, e)] + [x for _, segs in asg for s, e, _ in segs for x in (s, e)]
    out: list[tuple[int, int, str]] = []
    for p, q in _pieces(points, floor, until):
        st = _state(own, p, q)
        if st is not None and st != "run":
            out.append((p, q, APPLICANT if st[6:] in APPLICANT_PAUSES else SUSPENDED))
            continue
        cat = _assignment_category(p, q, asg)
        if st == "run" and cat is None:
            cat = GOVERNMENT  # the centre's own time (checks, consolidation)
        if cat is not None and (st is not None or cat == INTERMEDIARY):  # no own clock: only the firm's counts
            out.append((p, q, cat))
    return out


def _merge(span_lists: Iterable[list[tuple[int, int, str]]], floor: int, until: int) -> list[tuple[int, int, str]]:
    spans = [sp for lst in span_lists for sp in lst]
    out = []
    for p, q in _pieces([x for a, b, _ in spans for x in (a, b)], floor, until):
        cats = [c for a, b, c in spans if a <= p and q <= b]
        if cats:
            out.append((p, q, min(cats, key=_PRIORITY.__getitem__)))
    return out


def _count(spans: list[tuple[int, int, str]], count) -> Counters:
    n = {c: 0 for c in COUNTERS}
    for p, q, cat in spans:
        n[cat] += count(q) - count(p)
    return Counters(**n)


def _light(used: int, projected: int, limit: int | None, margin: int, *, done: bool) -> str:
    """Red: the projection or the actual is over the limit. Yellow: still open and no more than ``margin``
    working days left of the limit. A finished stage (or timeline) is red or green only."""
    if limit is None:
        return GREEN
    if used > limit or projected > limit:
        return RED
    return YELLOW if not done and limit - used <= margin else GREEN


def _worst(lights: Iterable[str]) -> str:
    order = {GREEN: 0, YELLOW: 1, RED: 2}
    return max(lights, key=order.__getitem__, default=GREEN)


def _stage_figures(rule: StageRule, apps: list[AppTrack], counters: Counters, margin: int) -> StageFigures:
    started = any(a.events for a in apps)
    done = any(a.approved_on is not None and a.step >= rule.last_step for a in apps) and all(
        a.approved_on is not None or not a.events or a.events[-1].kind == "stop" for a in apps
    )
    used = counters.government
    projected = used if done else max(used, rule.promised)
    light = _light(used, projected, rule.cap, margin, done=done)
    return StageFigures(rule.key, rule.codes, rule.cap, rule.promised, counters, started, done, projected, light)


def budget(
    apps: Sequence[AppTrack],
    *,
    rules: Sequence[StageRule],
    filing_date: date | None,
    target: int,
    calendar: WorkCalendar,
    today: date,
    margin: int = 5,
) -> BudgetFigures:
    """The four counters per stage and in total, the projection and the light of one project."""
    finished = [a.approved_on for a in apps if a.ends_timeline and a.approved_on is not None]
    complete = bool(finished)
    first = min((e.on for a in apps for e in a.events[:1]), default=today)
    start = filing_date or first
    as_of = max(min(finished), start) if complete else today
    floor, until = start.toordinal(), as_of.toordinal()

    count = calendar._count  # working days up to an ordinal (the calendar's O(1) fast path)
    per_app = [application_spans(a, floor=floor, until=until) for a in apps]
    stages = []
    for rule in rules:
        mine = [i for i, a in enumerate(apps) if a.stage in rule.codes]
        counters = _count(_merge((per_app[i] for i in mine), floor, until), count)
        stages.append(_stage_figures(rule, [apps[i] for i in mine], counters, margin))
    covered = _merge(per_app, floor, until)
    # a piece with nothing open (the owner has not applied for the next step yet) is the owner's
    gaps, last = [], floor
    for p, q, _ in covered:
        if p > last:
            gaps.append((last, p, APPLICANT))
        last = q
    if until > last:
        gaps.append((last, until, APPLICANT))
    total = _count(covered + gaps, count)
    used = total.government
    still = 0 if complete else sum(max(0, s.promised - s.counters.government) for s in stages if not s.done)
    finish = as_of if complete else calendar.add(as_of, still)
    projected_total = used + still
    light = _worst([_light(used, projected_total, target, margin, done=complete)] + [s.light for s in stages])
    provisional = calendar.span_provisional(min(start, as_of), finish)
    return BudgetFigures(target, tuple(stages), total, target - used, projected_total, finish, complete, light,
                         provisional, as_of)
