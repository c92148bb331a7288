"""Opening an application (which items are required, and why), choosing the firm of a competitive
item (中介超市), submitting and withdrawing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.documents.services import official_language
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
            refusal = _("the regional evaluation “%(title)s” is not valid today (%(start)s to %(end)s)") % {
                "title": ev.title, "start": ev.valid_from, "end": ev.valid_to}
            continue
        if project.flow_type in (ev.negative_list or []):
            refusal = _("the regional evaluation “%(title)s” excludes the flow type %(flow)s") % {
                "title": ev.title, "flow": project.get_flow_type_display()}
            continue
        if ev.max_floor_area is not None and project.floor_area > ev.max_floor_area:
            refusal = _("the regional evaluation “%(title)s” covers at most %(limit)s m² (the project: %(area)s m²)") % {
                "title": ev.title, "limit": ev.max_floor_area, "area": project.floor_area}
            continue
        if ev.max_investment is not None and project.investment > ev.max_investment:
            refusal = _("the regional evaluation “%(title)s” covers at most %(limit)s ten-thousand yuan of investment "
                        "(the project: %(investment)s)") % {
                "title": ev.title, "limit": ev.max_investment, "investment": project.investment}
            continue
        return ev, ""
    return None, refusal


@official_language()
def derive_items(project: Project, workflow: Workflow, *, today: date | None = None) -> list[ItemDecision]:
    """Which items of the workflow the project needs, and why (pure read; used by open and previews).
    The reasons are stored with the application (ApplicationItem.reason) and read by the owner, the
    window and the agencies alike: they are written in the official language, whoever opens it."""
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
            text = _("covered by the regional evaluation “%(title)s”%(ref)s: exempt") % {"title": ev.title, "ref": ref}
            out.append(ItemDecision(item, False, text, ev.mode, ev))
        else:
            applies = _("the regional evaluation “%(title)s”%(ref)s applies: %(mode)s") % {
                "title": ev.title, "ref": ref, "mode": EvaluationMode(ev.mode).label}
            text = f"{reason}; {applies}"
            out.append(ItemDecision(item, True, text, ev.mode, ev))
    return out


@transaction.atomic
def application_open(*, actor, project: Project, workflow: Workflow) -> Application:
    """Open an application for one joint workflow: derive every item (required or not, and why)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    common.require_project_owner(actor, project, _("open an application"))
    if not workflow.is_active:
        raise ServiceError(_("“%(workflow)s” is not open for applications.") % {"workflow": workflow.name})
    open_app = (
        Application.objects.filter(project=project, workflow=workflow)
        .exclude(status__in=[ApplicationStatus.WITHDRAWN, ApplicationStatus.REJECTED, ApplicationStatus.APPROVED])
        .first()
    )
    if open_app is not None:
        raise ConflictError(_("The project already has an open application %(number)s for “%(workflow)s”.") % {
            "number": open_app.number, "workflow": workflow.name})
    decisions = derive_items(project, workflow)
    if not any(d.required for d in decisions):
        raise ServiceError(_("No item of “%(workflow)s” applies to the project.") % {"workflow": workflow.name})
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
    """``what``: a translated verb phrase ("choose the firm")."""
    if app.status not in OWNER_EDITABLE_STATUSES:
        raise ConflictError(
            _("The application is “%(status)s”, so you cannot %(action)s: it can be changed only as a draft or "
              "after a return.") % {"status": _status_label(app.status), "action": what}
        )


@transaction.atomic
def application_choose_intermediary(
    *, actor, application: Application, item: Item, agency: Organization
) -> ApplicationItem:
    """The owner picks the firm of a competitive item from the intermediary registry (中介超市)."""
    app = common.lock_application(application)
    common.require_project_owner(actor, app.project, _("choose the firm"))
    _require_editable(app, _("choose the firm"))
    try:
        app_item = ApplicationItem.objects.select_related("item").get(application=app, item=item)
    except ApplicationItem.DoesNotExist:
        raise ServiceError(_("The item is not part of this application.")) from None
    if not app_item.item.competitive:
        raise ServiceError(_("“%(item)s” has a fixed agency: no firm can be chosen.") % {"item": item.name})
    if not app_item.required:
        raise ServiceError(_("“%(item)s” is not required for the project.") % {"item": item.name})
    agency = Organization.objects.filter(pk=agency.pk).prefetch_related("specialities").first()
    if (
        agency is None or not agency.is_active or agency.kind != OrganizationKind.AGENCY
        or agency.agency_type != AgencyType.INTERMEDIARY
    ):
        raise ServiceError(_("Choose an active firm of the intermediary registry."))
    if item.speciality_id and item.speciality_id not in {s.pk for s in agency.specialities.all()}:
        raise ServiceError(_("%(firm)s does not offer the speciality “%(speciality)s”.") % {
            "firm": agency, "speciality": item.speciality})
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
        problems.append(_("“%(item)s”: “%(material)s” is missing") % {"item": m.item.name, "material": m.name})
    for ai in app.items.select_related("item").filter(required=True, item__competitive=True, agency__isnull=True):
        problems.append(_("“%(item)s”: no firm chosen") % {"item": ai.item.name})
    return problems


@transaction.atomic
def application_submit(*, actor, application: Application) -> Application:
    app = common.lock_application(application)
    common.require_project_owner(actor, app.project, _("submit the application"))
    if app.status == ApplicationStatus.SUBMITTED:
        raise ConflictError(_("The application was already submitted; it awaits the window's check."))
    if app.status not in SUBMITTABLE_STATUSES:
        raise ConflictError(_("The application is “%(status)s”, so it cannot be submitted.") % {
            "status": _status_label(app.status)})
    problems = missing_for_submit(app)
    if problems:
        raise ServiceError(_("Cannot submit; these materials or items are incomplete: %(problems)s") % {
            "problems": "; ".join(problems)}, code="incomplete")
    before = app.status
    n = Application.objects.filter(pk=app.pk, status=before).update(
        status=ApplicationStatus.SUBMITTED, submitted_at=timezone.now()
    )
    if n != 1:  # pragma: no cover - the row is locked
        raise ConflictError(_("The application changed meanwhile; reload it."))
    app.refresh_from_db()
    audit_record(actor=actor, verb=AuditVerb.APPLICATION_SUBMIT, target=app, before={"status": before},
                 after={"status": app.status})
    return app


@transaction.atomic
def application_withdraw(*, actor, application: Application, reason: str = "") -> Application:
    app = common.lock_application(application)
    common.require_project_owner(actor, app.project, _("withdraw the application"))
    reason = common.check_text(reason, label=gettext("Reason"), field="reason", max_length=NOTE_MAX)
    if app.status not in WITHDRAWABLE_STATUSES:
        raise ConflictError(
            _("The application is “%(status)s”: only a draft, submitted or returned application can be withdrawn.")
            % {"status": _status_label(app.status)}
        )
    before = app.status
    Application.objects.filter(pk=app.pk, status=before).update(
        status=ApplicationStatus.WITHDRAWN, decided_at=timezone.now()
    )
    app.refresh_from_db()
    audit_record(actor=actor, verb=AuditVerb.APPLICATION_WITHDRAW, target=app, before={"status": before},
                 after={"status": app.status}, note=reason)
    return app
