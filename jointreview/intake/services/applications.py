"""Opening an application (which items are required, and why), choosing the firm of a competitive
item (中介超市), submitting and withdrawing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.intake.models import OWNER_EDITABLE_STATUSES, SUBMITTABLE_STATUSES, WITHDRAWABLE_STATUSES
from jointreview.intake.services.common import _new_number, _status_label
from jointreview.limits import NOTE_MAX
from jointreview.models import (
    Application,
    ApplicationItem,
    ApplicationMaterial,
    ApplicationStatus,
    EvaluationMode,
    Item,
    Material,
    RegionalEvaluation,
    Workflow,
)
from jointreview.rules import evaluate_applicability
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError
from projects.models import AgencyType, Organization, OrganizationKind, Project


@dataclass
class ItemDecision:
    item: Item
    required: bool
    reason: str
    mode: str = ""
    evaluation: RegionalEvaluation | None = None


def _evaluation_for(item: Item, project: Project, evaluations: list[RegionalEvaluation], today: date):
    """(evaluation that applies or None, why another covering evaluation does not apply or "")."""
    refusal = ""
    order = {EvaluationMode.EXEMPT: 0, EvaluationMode.SIMPLIFIED: 1, EvaluationMode.COMMITMENT: 2}
    for ev in sorted(evaluations, key=lambda e: (order.get(e.mode, 9), e.pk)):
        if item.pk not in ev.item_ids:
            continue
        if not (ev.valid_from <= today <= ev.valid_to):
            refusal = f"区域评估「{ev.title}」不在有效期 ({ev.valid_from}~{ev.valid_to}) evaluation not valid today"
            continue
        if project.flow_type in (ev.negative_list or []):
            refusal = f"区域评估「{ev.title}」负面清单 ({project.get_flow_type_display()}) on the negative list"
            continue
        if ev.max_floor_area is not None and project.floor_area > ev.max_floor_area:
            refusal = (f"区域评估「{ev.title}」面积上限 {ev.max_floor_area}㎡ < {project.floor_area}㎡ "
                       "exceeds the evaluated floor-area limit")
            continue
        if ev.max_investment is not None and project.investment > ev.max_investment:
            refusal = (f"区域评估「{ev.title}」投资上限 {ev.max_investment}万元 < {project.investment}万元 "
                       "exceeds the evaluated investment limit")
            continue
        return ev, ""
    return None, refusal


def derive_items(project: Project, workflow: Workflow, *, today: date | None = None) -> list[ItemDecision]:
    """Which items of the workflow the project needs, and why (pure read; used by open and previews)."""
    today = today or common.today()
    items = list(workflow.items.filter(is_active=True).select_related("agency").order_by("order", "code"))
    evaluations: list[RegionalEvaluation] = []
    if project.zone_id:
        evaluations = list(RegionalEvaluation.objects.filter(zone_id=project.zone_id).prefetch_related("items"))
        for ev in evaluations:
            ev.item_ids = {i.pk for i in ev.items.all()}
    out = []
    for item in items:
        applies, reason = evaluate_applicability(item.applicability, project, item_name=item.name)
        if not applies:
            out.append(ItemDecision(item, False, reason))
            continue
        ev, refusal = _evaluation_for(item, project, evaluations, today)
        if ev is None:
            out.append(ItemDecision(item, True, f"{reason}; {refusal}" if refusal else reason))
            continue
        ref = f" ({ev.report_reference})" if ev.report_reference else ""
        if ev.mode == EvaluationMode.EXEMPT:
            text = f"区域评估「{ev.title}」{ref}已覆盖, 免于评估: exempt by the zone's regional evaluation"
            out.append(ItemDecision(item, False, text, ev.mode, ev))
        else:
            label = "简化评估 simplified" if ev.mode == EvaluationMode.SIMPLIFIED else "告知承诺 by commitment"
            text = f"{reason}; 区域评估「{ev.title}」{ref}适用: {label}"
            out.append(ItemDecision(item, True, text, ev.mode, ev))
    return out


@transaction.atomic
def application_open(*, actor, project: Project, workflow: Workflow) -> Application:
    """Open an application for one joint workflow: derive every item (required or not, and why)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    common.require_project_owner(actor, project, "发起联合审批申请")
    if not workflow.is_active:
        raise ServiceError(f"「{workflow.name}」已停用 This workflow is not open for applications.")
    open_app = (
        Application.objects.filter(project=project, workflow=workflow)
        .exclude(status__in=[ApplicationStatus.WITHDRAWN, ApplicationStatus.REJECTED, ApplicationStatus.APPROVED])
        .first()
    )
    if open_app is not None:
        raise ConflictError(
            f"该项目已有进行中的「{workflow.name}」申请 {open_app.number}。 "
            f"The project already has an open application {open_app.number} for this workflow."
        )
    decisions = derive_items(project, workflow)
    if not any(d.required for d in decisions):
        raise ServiceError(
            f"该项目无需办理「{workflow.name}」中的任何事项。 No item of this workflow applies to the project."
        )
    app = Application(number=_new_number("JR"), project=project, workflow=workflow, created_by=actor)
    common.full_clean(app)
    app.save()
    ApplicationItem.objects.bulk_create(
        ApplicationItem(
            application=app, item=d.item, required=d.required, reason=d.reason[:300],
            evaluation_mode=d.mode, regional_evaluation=d.evaluation,
            agency=None if d.item.competitive else d.item.agency,
        )
        for d in decisions
    )
    required_ids = [d.item.pk for d in decisions if d.required]
    ApplicationMaterial.objects.bulk_create(
        ApplicationMaterial(application=app, material=m)
        for m in Material.objects.filter(item_id__in=required_ids).order_by("item__order", "order", "code")
    )
    audit_record(
        actor=actor, verb=AuditVerb.APPLICATION_OPEN, target=app, after={
            "status": app.status, "workflow": workflow.code,
            "required": [d.item.code for d in decisions if d.required],
            "not_required": [d.item.code for d in decisions if not d.required],
        },
    )
    return app


def _require_editable(app: Application, what: str) -> None:
    if app.status not in OWNER_EDITABLE_STATUSES:
        raise ConflictError(
            f"申请处于「{_status_label(app.status)}」状态, 不能{what}。 "
            f"The application is {app.status}; it can be changed only as a draft or after a return."
        )


@transaction.atomic
def application_choose_intermediary(
    *, actor, application: Application, item: Item, agency: Organization
) -> ApplicationItem:
    """The owner picks the firm of a competitive item from the intermediary registry (中介超市)."""
    app = common.lock_application(application)
    common.require_project_owner(actor, app.project, "选择中介机构")
    _require_editable(app, "选择中介机构")
    try:
        app_item = ApplicationItem.objects.select_related("item").get(application=app, item=item)
    except ApplicationItem.DoesNotExist:
        raise ServiceError("该事项不属于本申请。 The item is not part of this application.") from None
    if not app_item.item.competitive:
        raise ServiceError(f"「{item.name}」由固定机构办理, 不能选择。 This item has a fixed agency.")
    if not app_item.required:
        raise ServiceError(f"「{item.name}」无需办理。 This item is not required for the project.")
    agency = Organization.objects.filter(pk=agency.pk).prefetch_related("specialities").first()
    if (
        agency is None or not agency.is_active or agency.kind != OrganizationKind.AGENCY
        or agency.agency_type != AgencyType.INTERMEDIARY
    ):
        raise ServiceError("请选择在册且启用的中介机构。 Choose an active firm of the intermediary registry.")
    if item.speciality_id and item.speciality_id not in {s.pk for s in agency.specialities.all()}:
        raise ServiceError(
            f"{agency}不具备「{item.speciality}」专业。 The firm does not offer the item's speciality."
        )
    before = {"agency": app_item.agency_id}
    app_item.agency = agency
    app_item.save(update_fields=["agency"])
    audit_record(actor=actor, verb=AuditVerb.APPLICATION_CHOOSE_INTERMEDIARY, target=app_item, application=app,
                 before=before, after={"agency": agency.pk, "item": item.code})
    return app_item

# ---------------------------------------------------------------------------------------------
# submit / withdraw
# ---------------------------------------------------------------------------------------------


def missing_for_submit(app: Application) -> list[str]:
    """What stops the owner from submitting (every missing material and unchosen firm), in words."""
    problems = []
    for am in app.materials.select_related("material__item").filter(document__isnull=True):
        m = am.material
        if not m.essential and m.item.allows_deferral:
            continue  # may be deferred (容缺) at acceptance
        problems.append(f"「{m.item.name}」缺少「{m.name}」")
    for ai in app.items.select_related("item").filter(required=True, item__competitive=True, agency__isnull=True):
        problems.append(f"「{ai.item.name}」未选择中介机构 no firm chosen")
    return problems


@transaction.atomic
def application_submit(*, actor, application: Application) -> Application:
    app = common.lock_application(application)
    common.require_project_owner(actor, app.project, "提交申请")
    if app.status == ApplicationStatus.SUBMITTED:
        raise ConflictError("申请已提交, 等待窗口审查。 The application was already submitted.")
    if app.status not in SUBMITTABLE_STATUSES:
        raise ConflictError(f"申请处于「{_status_label(app.status)}」状态, 不能提交。 It cannot be submitted now.")
    problems = missing_for_submit(app)
    if problems:
        raise ServiceError(
            "不能提交, 以下材料或事项不完整 (Cannot submit; incomplete): " + "; ".join(problems), code="incomplete"
        )
    before = app.status
    n = Application.objects.filter(pk=app.pk, status=before).update(
        status=ApplicationStatus.SUBMITTED, submitted_at=timezone.now()
    )
    if n != 1:  # pragma: no cover - the row is locked
        raise ConflictError("申请状态已变化, 请刷新。 The application changed meanwhile; reload it.")
    app.refresh_from_db()
    audit_record(actor=actor, verb=AuditVerb.APPLICATION_SUBMIT, target=app, before={"status": before},
                 after={"status": app.status})
    return app


@transaction.atomic
def application_withdraw(*, actor, application: Application, reason: str = "") -> Application:
    app = common.lock_application(application)
    common.require_project_owner(actor, app.project, "撤回申请")
    reason = common.check_text(reason, label=gettext("Reason"), field="reason", max_length=NOTE_MAX)
    if app.status not in WITHDRAWABLE_STATUSES:
        raise ConflictError(
            f"申请处于「{_status_label(app.status)}」状态, 不能撤回。 Only a draft, submitted or returned "
            "application can be withdrawn."
        )
    before = app.status
    Application.objects.filter(pk=app.pk, status=before).update(
        status=ApplicationStatus.WITHDRAWN, decided_at=timezone.now()
    )
    app.refresh_from_db()
    audit_record(actor=actor, verb=AuditVerb.APPLICATION_WITHDRAW, target=app, before={"status": before},
                 after={"status": app.status}, note=reason)
    return app
