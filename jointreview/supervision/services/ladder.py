"""The escalation sweep (电子监察, beat every ``JR_ESCALATION_SWEEP_MINUTES``): alerts once per transition.

Sources, each in one transaction, in bulk:

- **clock lights**: every running clock's level is computed in SQL from its cached light (kept current
  by the clock sweep and by every clock event) and its due date: 1 yellow, 2 red, 3 red and overdue by
  ``JR_ESCALATION_LEADER_DAYS`` working days. Rows whose level differs from ``Clock.alert_level`` are
  locked (``FOR UPDATE SKIP LOCKED``), their ``alert_level`` set in one conditional UPDATE, and a rise
  raises one alert at the new level. A second or concurrent run finds nothing: the rows it sees
  already carry the level (PostgreSQL re-checks the condition of a row it waited for), and the alert's
  unique key is a second guard. A fall (an extension moved the due date) only lowers the marker, so the
  next rise alerts again. Paused clocks keep their marker: time is not running.
- **unanswered records**: open past ``respond_by`` and not yet escalated: a new record one level up,
  linked to the old one (level 3, the centre leader, is the top).
- **overdue 容缺**: a deferral not fulfilled by its promised date, once (``Deferral.overdue_alerted_on``).
- **project budgets**: ``clocks.services.project_budget_refresh`` moves the cached per-project lights
  (``ProjectLight``) in bulk and returns each ``(project_id, old_light, new_light)`` once;
  ``budget_transitions_alert`` raises an alert for each rise.
"""
from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from jointreview.audit.notifications import NotificationKind
from jointreview.clocks.calendar import get_calendar
from jointreview.intake.models import FINAL_STATUSES
from jointreview.models import (
    Application,
    Assignment,
    Clock,
    ClockState,
    Deferral,
    Light,
    SupervisionLevel,
    SupervisionRecord,
    SupervisionSource,
    SupervisionStatus,
)
from jointreview.supervision.services.alerts import Alert, agency_leads, alerts_raise, centre_leaders, people
from projects.models import Role, User

RULE_BY_LEVEL = {1: "CLK-Y", 2: "CLK-R", 3: "CLK-OD"}
LIGHT_BY_LEVEL = {1: Light.YELLOW, 2: Light.RED, 3: Light.RED}


def escalation_sweep(*, today: date | None = None) -> dict[str, int]:
    """Every source once; returns how many alerts each raised."""
    today = today or timezone.localdate()
    from jointreview.clocks.services import project_budget_refresh

    return {
        "clocks": len(clock_alerts(today=today)),
        "budgets": len(budget_transitions_alert(project_budget_refresh(today=today), today=today)),
        "escalated": len(unanswered_escalate(today=today)),
        "deferrals": len(deferral_alerts(today=today)),
    }


# --------------------------------------------------------------------------- clock lights


def leader_cutoff(today: date, days: int | None = None) -> date:
    """A due date before the returned day is overdue by at least ``days`` working days on ``today``."""
    days = int(settings.JR_ESCALATION_LEADER_DAYS if days is None else days)
    calendar = get_calendar()
    d, counted = today, 0
    while True:
        if calendar.is_workday(d):
            counted += 1
            if counted >= days:
                return d
        d -= timedelta(days=1)


_TRANSITIONS_SQL = """
WITH changed AS (
    SELECT id, alert_level AS old_level, {level} AS new_level FROM {table}
    WHERE state = %s AND alert_level <> {level}
    ORDER BY id FOR UPDATE SKIP LOCKED
)
UPDATE {table} AS c SET alert_level = changed.new_level FROM changed WHERE c.id = changed.id
RETURNING c.id, changed.old_level, changed.new_level
"""
_LEVEL_SQL = ("(CASE WHEN light = 'red' AND due_date < %s THEN 3 WHEN light = 'red' THEN 2 "
              "WHEN light = 'yellow' THEN 1 ELSE 0 END)")


def clock_transitions(*, today: date) -> list[tuple[int, int, int]]:
    """Lock the running clocks whose level changed and store the new level, in one statement (rows
    another sweep holds are skipped; PostgreSQL re-checks the condition of a row whose lock it got
    after a concurrent update). Returns (clock id, old level, new level) per change. Call inside a
    transaction."""
    cutoff = leader_cutoff(today)
    sql = _TRANSITIONS_SQL.format(level=_LEVEL_SQL, table=connection.ops.quote_name(Clock._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [cutoff, ClockState.RUNNING, cutoff])
        return sorted(cursor.fetchall())


def clock_alerts(*, today: date) -> list[SupervisionRecord]:
    with transaction.atomic():
        rises = [(pk, new) for pk, old, new in clock_transitions(today=today) if new > old]
        return alerts_raise(_clock_alerts(rises, today), today=today)


def _clock_alerts(rises: list[tuple[int, int]], today: date) -> list[Alert]:
    if not rises:
        return []
    ids = RawSQL("SELECT unnest(%s::integer[])", ([pk for pk, _level in rises],))  # one array, not N parameters
    assignments = {a.clock_id: a for a in Assignment.objects.filter(clock_id__in=ids).select_related(
        "application__accepted_by", "agency", "reviewer", "backup", "clock")}
    applications = {a.clock_id: a for a in Application.objects.filter(clock_id__in=ids).select_related(
        "accepted_by", "clock")}
    leads = agency_leads(a.agency_id for a in assignments.values())
    leaders = centre_leaders()
    alerts = []
    for pk, level in rises:
        a = assignments.get(pk)
        app = a.application if a is not None else applications.get(pk)
        if app is None:
            continue  # a clock of nothing (tests, the bench): nobody to tell
        alerts.append(_clock_alert(pk, level, today, a, app, leads, leaders))
    return alerts


def _clock_alert(pk, level, today, a, app, leads, leaders) -> Alert:
    agency_people = people(a.reviewer, a.backup, *leads.get(a.agency_id, [])) if a is not None else []
    if level == SupervisionLevel.AGENCY:
        addressees = agency_people or people(app.accepted_by)
    elif level == SupervisionLevel.COORDINATOR:
        addressees = people(*agency_people, app.accepted_by)
    else:
        addressees = people(*leaders) or people(app.accepted_by)
    clock = a.clock if a is not None else app.clock
    return Alert(
        key=f"clock-{pk}-L{level}-{today.isoformat()}", source=SupervisionSource.CLOCK, level=level,
        light=LIGHT_BY_LEVEL[level], rule_code=RULE_BY_LEVEL[level],
        content=f"{app.number} / {a.agency}" if a is not None else app.number, addressees=addressees,
        application=app, assignment=a, clock_id=pk, department_id=a.agency_id if a is not None else None,
        item_type=clock.kind, due_date=clock.due_date,
    )


# --------------------------------------------------------------------------- unanswered records


def unanswered_escalate(*, today: date) -> list[SupervisionRecord]:
    """Open records past their response date, not yet escalated, below the top, whose case still runs
    (its clock not stopped, its deferred material not delivered): one level up."""
    with transaction.atomic():
        stale = list(
            SupervisionRecord.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=SupervisionStatus.OPEN, respond_by__lt=today, escalated_at__isnull=True,
                    level__lt=SupervisionLevel.LEADER)
            .exclude(clock__state=ClockState.STOPPED)  # the case was finished meanwhile: nothing to chase
            .exclude(deferral__fulfilled_at__isnull=False)  # the material arrived meanwhile
            .select_related("application__accepted_by", "assignment").prefetch_related("addressees")
            .order_by("pk")
        )
        if not stale:
            return []
        SupervisionRecord.objects.filter(pk__in=[r.pk for r in stale], escalated_at__isnull=True).update(
            escalated_at=timezone.now())
        leaders = centre_leaders()
        return alerts_raise([_escalation(r, leaders) for r in stale], today=today)


def _escalation(record: SupervisionRecord, leaders: list[User]) -> Alert:
    level = record.level + 1
    coordinator = record.application.accepted_by if record.application is not None else None
    if level == SupervisionLevel.COORDINATOR:
        addressees = people(*record.addressees.all(), coordinator)
    else:
        addressees = people(*leaders) or people(coordinator)
    return Alert(
        key=f"esc-{record.pk}", source=SupervisionSource.ESCALATION, level=level, light=Light.RED,
        rule_code=record.rule_code, content=record.content, addressees=addressees,
        application=record.application, assignment=record.assignment, project=record.project,
        clock_id=record.clock_id, deferral_id=record.deferral_id, department_id=record.department_id,
        item_type=record.item_type, due_date=record.due_date, escalated_from=record,
    )


# --------------------------------------------------------------------------- overdue 容缺


def deferral_alerts(*, today: date) -> list[SupervisionRecord]:
    """容缺 promises past their date, unfulfilled, on an application still in the centre: once each, to
    the coordinator who accepted it (a record to answer) and the owner's staff (a notification)."""
    with transaction.atomic():
        due = list(
            Deferral.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(fulfilled_at__isnull=True, overdue_alerted_on__isnull=True, promised_date__lt=today,
                    application__accepted_at__isnull=False)
            .exclude(application__status__in=FINAL_STATUSES)
            .select_related("application__accepted_by", "application__project", "material")
            .order_by("pk")
        )
        if not due:
            return []
        Deferral.objects.filter(pk__in=[d.pk for d in due], overdue_alerted_on__isnull=True).update(
            overdue_alerted_on=today)
        owners = _owner_staff({d.application.project.owner_id for d in due})
        return alerts_raise([_deferral_alert(d, owners, today) for d in due], today=today)


def _owner_staff(org_ids: set[int]) -> dict[int, list[User]]:
    out: dict[int, list[User]] = {}
    for user in User.objects.filter(role=Role.OWNER_STAFF, is_active=True, organization_id__in=org_ids).order_by("pk"):
        out.setdefault(user.organization_id, []).append(user)
    return out


def _deferral_alert(d: Deferral, owners: dict[int, list[User]], today: date) -> Alert:
    app = d.application
    extra = {"material": d.material.name, "on": d.promised_date.isoformat()}
    return Alert(
        key=f"deferral-{d.pk}", source=SupervisionSource.DEFERRAL, level=SupervisionLevel.COORDINATOR,
        light=Light.RED, rule_code="DEF-OD", content=f"{app.number} / {d.material.name}",
        addressees=people(app.accepted_by), application=app, project=app.project, deferral_id=d.pk,
        item_type="deferral", due_date=d.promised_date,
        extra_notify=[(u, NotificationKind.DEFERRAL_OVERDUE, extra)
                      for u in people(*owners.get(app.project.owner_id, []), app.accepted_by)],
    )


# --------------------------------------------------------------------------- project budgets (10a)

BUDGET_LEVEL = {Light.YELLOW: SupervisionLevel.AGENCY, Light.RED: SupervisionLevel.COORDINATOR}
SEVERITY = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}


def budget_transitions_alert(transitions, *, today: date | None = None) -> list[SupervisionRecord]:
    """Alerts for project budget lights that rose (``(project_id, old_light, new_light)``, as 10a's
    ``project_budget_refresh`` returns them), to the coordinators who accepted the project's open
    applications; unanswered, they escalate to the centre leader like every record."""
    today = today or timezone.localdate()
    rises = [(pid, new) for pid, old, new in transitions if SEVERITY.get(new, 0) > SEVERITY.get(old, 0)]
    if not rises:
        return []
    coordinators: dict[int, list[User]] = {}
    for app in (Application.objects.filter(project_id__in=[p for p, _n in rises], accepted_by__isnull=False)
                .exclude(status__in=FINAL_STATUSES).select_related("accepted_by").order_by("pk")):
        coordinators.setdefault(app.project_id, []).append(app.accepted_by)
    from projects.models import Project

    projects = Project.objects.in_bulk([p for p, _n in rises])
    alerts = [Alert(
        key=f"budget-{pid}-{new}-{today.isoformat()}", source=SupervisionSource.BUDGET, level=BUDGET_LEVEL[new],
        light=new, rule_code="BUD-Y" if new == Light.YELLOW else "BUD-R", content=str(projects[pid]),
        addressees=people(*coordinators.get(pid, [])) or people(*centre_leaders()), project=projects[pid],
        item_type="budget",
    ) for pid, new in rises if pid in projects]
    with transaction.atomic():
        return alerts_raise(alerts, today=today)


__all__ = ["budget_transitions_alert", "clock_alerts", "deferral_alerts", "escalation_sweep",
           "leader_cutoff", "unanswered_escalate"]
