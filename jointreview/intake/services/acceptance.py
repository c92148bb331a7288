"""受理: the acceptance date, the clocks, ONE assignment per agency, 多测合一 reports, 一次收费, fan-out."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.clocks import services as clock_service
from jointreview.clocks.calendar import get_calendar
from jointreview.intake.fanout import dispatch_notify
from jointreview.intake.services.common import _auto_mark_missing, _lock_application, _require_window_pending
from jointreview.intake.services.window import _validate_deferrals
from jointreview.models import (
    AcceptanceMode,
    Application,
    ApplicationItem,
    ApplicationStatus,
    Assignment,
    CheckStatus,
    Deferral,
    FeeOrder,
    FeeSplit,
    Item,
    ItemKind,
    ReviewRound,
    SurveyReport,
    TimeUnit,
    WorkflowKind,
)
from jointreview.policy import grant_many
from jointreview.policy.portions import portion_document_ids, portion_for
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError
from projects.models import Document, Organization


def assignment_clock_params(items: list[Item]) -> dict[str, Any]:
    """The clock of an assignment (round 1, and the next rounds in review): the item with the longest
    promised limit leads (its unit, resubmission policy, warning thresholds; the centre's defaults)."""

    def working_equiv(it: Item) -> float:
        return it.promised_limit_value * (5 / 7 if it.promised_limit_unit == TimeUnit.NATURAL else 1)

    lead = max(items, key=lambda it: (working_equiv(it), it.pk))
    return {
        "limit_value": lead.promised_limit_value, "limit_unit": lead.promised_limit_unit,
        "policy": lead.resubmission_policy,
        "warn_days": lead.warn_days if lead.warn_days is not None else settings.JR_WARN_DAYS,
        "warn_percent": lead.warn_percent if lead.warn_percent is not None else settings.JR_WARN_PERCENT,
    }


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
    """
    common.require_centre(actor, "受理申请")
    app = _lock_application(application)
    _require_window_pending(app, "受理")
    today = today or common.today()
    _auto_mark_missing(app, actor)
    materials = {am.pk: am for am in app.materials.select_related("material__item", "document")}
    planned = _validate_deferrals(app, materials, deferrals, today)
    deferred_ids = {am.pk for am, _p, _c in planned}
    incomplete = [
        am for am in materials.values() if am.check_status != CheckStatus.OK and am.pk not in deferred_ids
    ]
    if incomplete:
        raise ServiceError(
            "以下材料未审查齐全, 不能受理 (退回一次告知, 或对非主要材料容缺): "
            + "、".join(f"{am.material.name}[{CheckStatus(am.check_status).label}]" for am in incomplete)
            + "。 Cannot accept: every material must be checked complete (or deferred).",
            code="incomplete",
        )
    app_items = list(app.items.select_related("item", "agency").filter(required=True))
    missing_firm = [ai.item.name for ai in app_items if ai.agency_id is None]
    if missing_firm:
        raise ServiceError("以下事项未确定办理机构: " + "、".join(missing_firm) + "。 No agency for these items.")

    accepted_on = acceptance_date(app, today)
    mode = AcceptanceMode.WITH_GAPS if planned else AcceptanceMode.FULL
    n = Application.objects.filter(pk=app.pk, status=ApplicationStatus.SUBMITTED).update(
        status=ApplicationStatus.ACCEPTED, acceptance_mode=mode, accepted_at=timezone.now(), accepted_by=actor,
        accepted_on=accepted_on, current_round=1,
    )
    if n != 1:  # pragma: no cover - the row is locked; kept as the conditional-update guard
        raise ConflictError("申请已受理。 The application was already accepted.", code="already_accepted")

    for am, promised, commitment in planned:
        deferral = Deferral(application=app, material=am.material, promised_date=promised,
                            commitment=commitment, recorded_by=actor)
        common.full_clean(deferral, validate_unique=False)  # one row per material: checked above
        deferral.save()
        am.check_status, am.check_note = CheckStatus.DEFERRED, f"容缺, 承诺 {promised} 前补交"
        am.checked_by, am.checked_at = actor, timezone.now()
        am.save(update_fields=["check_status", "check_note", "checked_by", "checked_at"])

    wf = app.workflow
    app_clock = clock_service.clock_create(
        kind="application", limit_value=wf.limit_value, limit_unit=wf.limit_unit,
        warn_days=settings.JR_WARN_DAYS, warn_percent=settings.JR_WARN_PERCENT,
    )
    Application.objects.filter(pk=app.pk).update(clock=app_clock)
    app.refresh_from_db()
    clock_service.clock_start(clock=app_clock, on=accepted_on, actor=actor)
    rnd = ReviewRound.objects.create(application=app, number=1)

    # who gets an assignment
    by_agency: dict[int, list[ApplicationItem]] = defaultdict(list)
    report_depts: dict[int, list[ApplicationItem]] = defaultdict(list)
    survey = wf.kind == WorkflowKind.JOINT_SURVEY
    for ai in app_items:
        if survey and not _is_survey_item(ai.item):
            report_depts[ai.agency_id].append(ai)
        else:
            by_agency[ai.agency_id].append(ai)
    if survey and len(by_agency) != 1:
        raise ServiceError(
            "多测合一须由一家测绘单位完成一次测量。 A joint survey needs exactly one surveying firm "
            f"(found {len(by_agency)})."
        )

    agencies = {o.pk: o for o in Organization.objects.filter(pk__in=set(by_agency) | set(report_depts))}
    documents = {d.pk: d for d in Document.objects.filter(
        pk__in=[am.document_id for am in materials.values() if am.document_id])}
    assignment_ids = []
    grants: list[tuple[str, Organization, Any]] = []
    through: list = []
    for agency_id in sorted(by_agency):
        items = by_agency[agency_id]
        agency = agencies[agency_id]
        clock = clock_service.clock_create(kind="assignment", **assignment_clock_params([ai.item for ai in items]))
        portion, reads_all = portion_for(app, agency_id, items)
        a = Assignment(application=app, round=rnd, round_number=1, agency=agency, clock=clock, portion=portion,
                       reads_all=reads_all)
        # the foreign keys were just read or created in this transaction; the unique constraint
        # (application, agency, round) is enforced by the database
        a.full_clean(exclude=["application", "round", "agency", "clock"], validate_unique=False,
                     validate_constraints=False)
        a.save()
        through += [Assignment.items.through(assignment_id=a.pk, applicationitem_id=ai.pk) for ai in items]
        # the clock service copies the due date to the assignment (Assignment.due_date mirrors it)
        clock = clock_service.clock_start(clock=clock, on=accepted_on, actor=actor)
        grants += [("review_assignment", agency, a), ("view_assignment", agency, a),
                   ("view_application", agency, app)]
        grants += [("view_document", agency, documents[pk]) for pk in portion_document_ids(app, a)]
        audit_record(actor=actor, verb=AuditVerb.ASSIGNMENT_CREATE, target=a, application=app,
                     after={"agency": agency.pk, "items": [ai.item.code for ai in items],
                            "due_date": clock.due_date})
        assignment_ids.append(a.pk)

    Assignment.items.through.objects.bulk_create(through)

    for dept_id in sorted(report_depts):
        names = "、".join(ai.item.name for ai in report_depts[dept_id])
        report = SurveyReport.objects.create(
            application=app, department=agencies[dept_id], title=f"{agencies[dept_id]} 分编测绘报告: {names}"[:200]
        )
        grants.append(("view_application", agencies[dept_id], app))
        audit_record(actor=actor, verb=AuditVerb.SURVEY_REPORT_CREATE, target=report, application=app,
                     after={"department": dept_id})

    if wf.single_fee:
        shares: dict[int, Decimal] = defaultdict(Decimal)
        for ai in app_items:
            shares[ai.agency_id] += ai.item.fee
        order = FeeOrder.objects.create(application=app, total=sum(shares.values(), Decimal(0)))
        FeeSplit.objects.bulk_create(
            FeeSplit(order=order, recipient_id=agency_id, amount=amount)
            for agency_id, amount in sorted(shares.items()) if amount > 0
        )
        audit_record(actor=actor, verb=AuditVerb.FEE_ORDER_CREATE, target=order, application=app,
                     after={"total": order.total})

    grant_many(grants)
    audit_record(
        actor=actor, verb=AuditVerb.APPLICATION_ACCEPT, target=app, before={"status": "submitted"},
        after={"status": app.status, "mode": mode, "accepted_on": accepted_on, "assignments": len(assignment_ids),
               "deferred": [am.material.code for am, _p, _c in planned]},
    )
    common.notify(
        key=f"application-{app.pk}-accepted", organization_id=app.project.owner_id, kind="accepted",
        subject=f"已受理 Accepted: {app.number} {wf.name}",
        body=f"受理日 {accepted_on}; 办结时限 {app_clock.due_date}。", application=app,
    )

    for pk in assignment_ids:
        dispatch_notify(pk)  # on commit
    return app
