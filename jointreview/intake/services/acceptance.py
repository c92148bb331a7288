"""受理: the acceptance date, the clocks, ONE assignment per agency, 多测合一 reports, 一次收费, fan-out."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.services import audit_build, audit_save, notify_many
from jointreview.audit.verbs import AuditVerb
from jointreview.clocks import services as clock_service
from jointreview.clocks.calendar import get_calendar
from jointreview.intake.fanout import dispatch_notify_many
from jointreview.intake.services.common import _auto_mark_missing, _require_window_pending
from jointreview.intake.services.window import _validate_deferrals
from jointreview.models import (
    AcceptanceMode,
    Application,
    ApplicationItem,
    ApplicationMaterial,
    ApplicationStatus,
    AuditEvent,
    CheckStatus,
    Deferral,
    FeeOrder,
    FeeSplit,
    Item,
    ItemKind,
    ReviewRound,
    SurveyReport,
    WorkflowKind,
)
from jointreview.policy import grant_many
from jointreview.policy.portions import portion_document_ids, portions_for
from jointreview.review.services.assignments import (
    assignment_clock_params,
    assignment_grants,
    assignments_open,
)
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError
from projects.models import Document, Organization


def acceptance_date(app: Application, today: date) -> date:
    """docs/domain.md §4.1: 受理 today, or on the receipt date when the check took longer than allowed."""
    if not app.submitted_at:
        return today
    received = timezone.localtime(app.submitted_at).date()
    if received < today and get_calendar().between(received, today) > app.workflow.check_limit_days:
        return received
    return today


def _is_survey_item(item: Item) -> bool:
    return item.competitive or item.kind == ItemKind.INTERMEDIARY


@transaction.atomic
def application_accept(*, actor, application: Application | int, deferrals: list[dict] | None = None,
                       today: date | None = None) -> Application:
    """受理: start the clocks and fan out ONE assignment per agency concerned, in one transaction.

    ``deferrals``: ``[{"material_id": <ApplicationMaterial id>, "promised_date": date|"YYYY-MM-DD",
    "commitment": text}]`` -> 容缺受理 (acceptance_mode with_gaps).

    The number of queries does not grow with the number of agencies: every table gets one insert for
    all of them (clocks and their start events, assignments and their items, grants, audit events),
    without a savepoint (tests/jointreview/intake/test_accept_queries.py).
    """
    common.require_centre(actor, _("accept applications"))
    app = common.lock_application(application)
    _require_window_pending(app, _("accept it"))
    today = today or common.today()
    materials = {am.pk: am for am in app.materials.select_related("material__item", "document")}
    _auto_mark_missing(app, actor, materials.values())
    planned = _validate_deferrals(app, materials, deferrals, today)
    _require_complete(materials, planned)
    app_items = list(app.items.select_related("item", "agency").filter(required=True))
    _require_agencies(app_items)
    by_agency, report_depts = _who_works(app, app_items)

    accepted_on = acceptance_date(app, today)
    mode = AcceptanceMode.WITH_GAPS if planned else AcceptanceMode.FULL
    audit: list[AuditEvent] = []
    agencies = {ai.agency_id: ai.agency for ai in app_items}  # every agency and department concerned
    openings = _openings(app, by_agency, agencies, materials)
    app_clock, started = _start_clocks(app, actor, accepted_on, openings, audit)
    _mark_accepted(app, actor=actor, mode=mode, accepted_on=accepted_on, clock=app_clock)
    _record_deferrals(app, actor, planned)
    rnd = ReviewRound.objects.create(application=app, number=1)
    assignments = assignments_open(actor=actor, application=app, round=rnd, on=accepted_on, openings=openings,
                                   audit=audit, started=started)
    grants = _assignment_grants(assignments, materials.values())
    grants += _create_survey_reports(app, actor, report_depts, agencies, audit)
    if app.workflow.single_fee:
        _create_fee_order(app, actor, app_items, audit)
    grant_many(grants)

    audit.append(audit_build(
        actor=actor, verb=AuditVerb.APPLICATION_ACCEPT, target=app, before={"status": "submitted"},
        after={"status": app.status, "mode": mode, "accepted_on": accepted_on, "assignments": len(assignments),
               "deferred": [am.material.code for am, _p, _c in planned]},
    ))
    audit_save(audit)
    notify_many([{"key": f"application-{app.pk}-accepted", "kind": NotificationKind.ACCEPTED,
                  "organization_id": app.project.owner_id, "application": app,
                  "params": {"number": app.number, "workflow": app.workflow.name, "accepted_on": accepted_on,
                             "due": app_clock.due_date}}])
    dispatch_notify_many([a.pk for a in assignments])  # on commit, through one producer
    return app


def _openings(app: Application, by_agency: dict, agencies: dict, materials: dict[int, ApplicationMaterial]) -> list:
    """What ``assignments_open`` needs of each agency (in agency order), its portion from the catalogue now."""
    portions = portions_for(app, by_agency, materials.values())
    openings = []
    for agency_id in sorted(by_agency):
        items = by_agency[agency_id]
        portion, reads_all = portions[agency_id]
        openings.append({"agency": agencies[agency_id], "items": items, "portion": portion, "reads_all": reads_all,
                         "clock_params": assignment_clock_params([ai.item for ai in items])})
    return openings


def _start_clocks(app: Application, actor, accepted_on: date, openings: list[dict], audit: list) -> tuple:
    """The application's clock and each assignment's, started together (one insert each for the
    clocks and their start events): (the application's clock, [(clock, its unsaved clock.start audit
    event)] for ``assignments_open``). The application clock's audit event goes into ``audit`` first."""
    wf = app.workflow
    app_terms = {"kind": "application", "limit_value": wf.limit_value, "limit_unit": wf.limit_unit,
                 "warn_days": settings.JR_WARN_DAYS, "warn_percent": settings.JR_WARN_PERCENT}
    clock_audit: list[AuditEvent] = []
    app_clock, *clocks = clock_service.clocks_start_new(
        terms=[app_terms, *({"kind": "assignment", **o["clock_params"]} for o in openings)],
        on=accepted_on, actor=actor, application=app, audit=clock_audit,
    )
    audit.append(clock_audit[0])
    return app_clock, list(zip(clocks, clock_audit[1:], strict=True))


def _assignment_grants(assignments: list, materials) -> list[tuple[str, Organization, Any]]:
    """Each agency's grants on its assignment and application, and on the documents of its portion."""
    materials = list(materials)
    grants: list[tuple[str, Organization, Any]] = []
    for a in assignments:
        grants += assignment_grants(a)
        grants += [("view_document", a.agency, Document(pk=pk)) for pk in portion_document_ids(a, materials)]
    return grants


def _require_complete(materials: dict[int, ApplicationMaterial], planned: list) -> None:
    """Every material checked complete, or deferred (容缺)."""
    deferred_ids = {am.pk for am, _p, _c in planned}
    incomplete = [am for am in materials.values() if am.check_status != CheckStatus.OK and am.pk not in deferred_ids]
    if incomplete:
        names = "、".join(f"{am.material.name} [{CheckStatus(am.check_status).label}]" for am in incomplete)
        raise ServiceError(
            _("Cannot accept: every material must be checked complete, or deferred if it is not a main "
              "material; otherwise return the application with a one-time notice. Not complete: %(names)s.")
            % {"names": names},
            code="incomplete",
        )


def _require_agencies(app_items: list[ApplicationItem]) -> None:
    missing_firm = [ai.item.name for ai in app_items if ai.agency_id is None]
    if missing_firm:
        raise ServiceError(_("No agency has been chosen for these items: %(items)s.")
                           % {"items": "、".join(missing_firm)}, code="no_agency")


def _who_works(app: Application, app_items: list[ApplicationItem]) -> tuple[dict, dict]:
    """(items per agency that gets an assignment, items per department that gets a survey report).
    多测合一: one surveying firm measures once; the departments receive its report."""
    by_agency: dict[int, list[ApplicationItem]] = defaultdict(list)
    report_depts: dict[int, list[ApplicationItem]] = defaultdict(list)
    survey = app.workflow.kind == WorkflowKind.JOINT_SURVEY
    for ai in app_items:
        if survey and not _is_survey_item(ai.item):
            report_depts[ai.agency_id].append(ai)
        else:
            by_agency[ai.agency_id].append(ai)
    if survey and len(by_agency) != 1:
        raise ServiceError(_("A joint survey needs exactly one surveying firm; found %(count)s.")
                           % {"count": len(by_agency)}, code="survey_firms")
    return by_agency, report_depts


def _mark_accepted(app: Application, *, actor, mode: str, accepted_on: date, clock) -> None:
    values = {"status": ApplicationStatus.ACCEPTED, "acceptance_mode": mode, "accepted_at": timezone.now(),
              "accepted_by": actor, "accepted_on": accepted_on, "current_round": 1, "clock": clock}
    n = Application.objects.filter(pk=app.pk, status=ApplicationStatus.SUBMITTED).update(**values)
    if n != 1:  # pragma: no cover - the row is locked; kept as the conditional-update guard
        raise ConflictError(_("The application was already accepted."), code="already_accepted")
    for name, value in values.items():
        setattr(app, name, value)


def _record_deferrals(app: Application, actor, planned: list) -> None:
    for am, promised, commitment in planned:
        deferral = Deferral(application=app, material=am.material, promised_date=promised,
                            commitment=commitment, recorded_by=actor)
        common.full_clean(deferral, validate_unique=False)  # one row per material: checked above
        deferral.save()
        am.check_status, am.check_note = CheckStatus.DEFERRED, f"容缺, 承诺 {promised} 前补交"
        am.checked_by, am.checked_at = actor, timezone.now()
        am.save(update_fields=["check_status", "check_note", "checked_by", "checked_at"])


def _create_survey_reports(app: Application, actor, report_depts: dict, agencies: dict, audit: list) -> list[tuple]:
    """多测合一: one report row per receiving department; returns the department's grants."""
    depts = sorted(report_depts)
    reports = SurveyReport.objects.bulk_create(
        SurveyReport(application=app, department=agencies[dept_id],
                     title=f"{agencies[dept_id]} 分编测绘报告: {'、'.join(ai.item.name for ai in report_depts[dept_id])}"[:200])
        for dept_id in depts
    )
    for dept_id, report in zip(depts, reports, strict=True):
        audit.append(audit_build(actor=actor, verb=AuditVerb.SURVEY_REPORT_CREATE, target=report, application=app,
                                 after={"department": dept_id}))
    return [("view_application", agencies[dept_id], app) for dept_id in depts]


def _create_fee_order(app: Application, actor, app_items: list[ApplicationItem], audit: list) -> None:
    """一次收费: one order for the application, split among the agencies that charge."""
    shares: dict[int, Decimal] = defaultdict(Decimal)
    for ai in app_items:
        shares[ai.agency_id] += ai.item.fee
    order = FeeOrder.objects.create(application=app, total=sum(shares.values(), Decimal(0)))
    FeeSplit.objects.bulk_create(
        FeeSplit(order=order, recipient_id=agency_id, amount=amount)
        for agency_id, amount in sorted(shares.items()) if amount > 0
    )
    audit.append(audit_build(actor=actor, verb=AuditVerb.FEE_ORDER_CREATE, target=order, application=app,
                             after={"total": order.total}))
