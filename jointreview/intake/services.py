"""The single window (一窗受理): projects, applications, documents, completeness, 一次告知, 容缺, 受理.

Every function is a service (docs/architecture.md §3.2): keyword-only, ``actor`` first, one transaction, state
transitions by conditional update, one audit event per state change, side effects on commit.

Rules decided here (documented in the README's intake section):

- **Required items**: every active item of the workflow is evaluated with its applicability rule
  (``jointreview.rules``); then a regional evaluation (区域评估, docs/domain.md §5.2) applies when the
  project is in the evaluation's zone, the evaluation is valid today, covers the item, the project's
  flow type is not on its negative list and the project is within its floor-area/investment limits.
  ``exempt`` -> the item is not required; ``simplified``/``commitment`` -> still required, flagged, and
  the evaluation named in the reason.
- **Submit** needs every material of the required items, except non-essential materials of items that
  allow 容缺 (they may be deferred at acceptance), and a firm for every competitive item.
- **一次告知**: the window must have checked every submitted material before returning, so that the ONE
  notice lists every defect (missing materials are marked missing automatically).
- **Acceptance date** (docs/domain.md §4.1): today, unless the completeness check took longer than
  ``workflow.check_limit_days`` working days after the receipt (the latest submission): then the
  application is deemed accepted on the receipt date and the clocks start from it.
- **Assignments**: required items grouped by agency, ONE assignment per agency (round 1). Each
  assignment clock takes the longest promised limit of its items (that item's unit, resubmission
  policy and warning thresholds; the centre's defaults when the item has none).
- **多测合一** (workflow kind ``joint_survey``): the survey items (competitive or kind 中介服务) go to the
  ONE surveying firm as the single assignment; every other required item of the workflow names a
  receiving department, which gets its own SurveyReport (分编报告) to be delivered by the firm.
- **一次收费** (``workflow.single_fee``): one FeeOrder = the sum of the required items' fees, one FeeSplit
  per recipient agency with a non-zero share.
"""
from __future__ import annotations

import hashlib
import io
import logging
import secrets
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from jointreview.audit.services import audit_record
from jointreview.clocks import services as clock_service
from jointreview.clocks.calendar import get_calendar
from jointreview.documents.services import new_verification_code, render_after_commit
from jointreview.intake.fanout import dispatch_notify
from jointreview.intake.models import (
    OWNER_EDITABLE_STATUSES,
    SUBMITTABLE_STATUSES,
    WITHDRAWABLE_STATUSES,
)
from jointreview.limits import NOTE_MAX
from jointreview.models import (
    AcceptanceMode,
    Application,
    ApplicationItem,
    ApplicationMaterial,
    ApplicationStatus,
    Assignment,
    CheckStatus,
    Deferral,
    EvaluationMode,
    FeeOrder,
    FeeSplit,
    IssuedDocument,
    IssuedKind,
    Item,
    ItemKind,
    Material,
    NoticeDefect,
    RegionalEvaluation,
    ReviewRound,
    SurveyReport,
    TimeUnit,
    Workflow,
    WorkflowKind,
)
from jointreview.policy import grant_many
from jointreview.policy.portions import covers, portion_document_ids, portion_for
from jointreview.rules import evaluate_applicability
from jointreview.services import common
from jointreview.services.errors import ConflictError, PermissionDeniedError, ServiceError
from projects.models import AgencyType, Document, DocumentVersion, Organization, OrganizationKind, Project

log = logging.getLogger(__name__)

# accepted_types token -> (description, extensions that may name it)
FILE_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("PDF", ("pdf",)),
    "dwg": ("DWG drawing", ("dwg",)),
    "dxf": ("DXF drawing", ("dxf",)),
    "jpg": ("JPEG image", ("jpg", "jpeg")),
    "png": ("PNG image", ("png",)),
    "zip": ("ZIP archive", ("zip",)),
    "ofd": ("OFD document", ("ofd",)),
}
_MIME = {
    "pdf": "application/pdf", "dwg": "image/vnd.dwg", "dxf": "image/vnd.dxf", "jpg": "image/jpeg",
    "png": "image/png", "zip": "application/zip", "ofd": "application/ofd",
}
MAX_NAME_LEN = 200


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _lock_application(application: Application | int) -> Application:
    pk = application.pk if isinstance(application, Application) else application
    try:
        return Application.objects.select_for_update().select_related("project", "workflow").get(pk=pk)
    except Application.DoesNotExist:
        raise ServiceError("申请不存在 No such application.") from None


def _status_label(status: str) -> str:
    return ApplicationStatus(status).label


def _new_number(prefix: str) -> str:
    return f"{prefix}-{common.today():%Y%m%d}-{secrets.token_hex(4).upper()}"


# ---------------------------------------------------------------------------------------------
# projects
# ---------------------------------------------------------------------------------------------

PROJECT_FIELDS = (
    "code", "name", "location", "flow_type", "land_acquisition", "land_with_scheme", "floor_area",
    "underground_area", "height_m", "investment", "special_construction", "filing_date", "zone",
)


@transaction.atomic
def project_register(*, actor, **fields: Any) -> Project:
    """Register a construction project of the actor's organization (建设单位)."""
    if not getattr(actor, "is_owner", False) or actor.organization_id is None:
        raise PermissionDeniedError("只有建设单位可以登记项目。 Only a project owner may register projects.")
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise ServiceError(f"unknown project fields: {', '.join(sorted(unknown))}")
    project = Project(owner_id=actor.organization_id, **fields)
    common.full_clean(project)
    project.save()  # the owner reads and acts on it by rule (jointreview/policy/projects.py): no grant
    audit_record(actor=actor, verb="project.register", target=project, after={"code": project.code,
                                                                              "name": project.name})
    return project


# ---------------------------------------------------------------------------------------------
# opening an application: required items and why
# ---------------------------------------------------------------------------------------------


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
        actor=actor, verb="application.open", target=app, after={
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
    app = _lock_application(application)
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
    audit_record(actor=actor, verb="application.choose_intermediary", target=app_item, application=app,
                 before=before, after={"agency": agency.pk, "item": item.code})
    return app_item


# ---------------------------------------------------------------------------------------------
# documents
# ---------------------------------------------------------------------------------------------


def validate_file_name(name: str) -> str:
    """The user's file name is only shown, never used in a path; still refuse tricks and noise."""
    if name is None or not str(name).strip():
        raise ServiceError("文件名为空 The file has no name.")
    name = str(name)
    if len(name) > MAX_NAME_LEN:
        raise ServiceError(f"文件名过长 (最多{MAX_NAME_LEN}字符) The file name is longer than {MAX_NAME_LEN} characters.")
    if "/" in name or "\\" in name or ".." in name:
        raise ServiceError("文件名不能包含路径 (/ \\ ..) The file name must not contain a path.")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise ServiceError("文件名包含控制字符 The file name contains control characters.")
    return name.strip()


def _sniff(head: bytes, data: bytes | None) -> str | None:
    """Our token for the content, decided from the bytes (never the name)."""
    kind = filetype.guess(head)
    ext = kind.extension if kind else None
    if ext == "zip" or (head[:4] == b"PK\x03\x04" and ext is None):
        if data is not None:
            try:
                names = zipfile.ZipFile(io.BytesIO(data)).namelist()
            except zipfile.BadZipFile:
                return None
            if any(n.rsplit("/", 1)[-1] == "OFD.xml" for n in names):
                return "ofd"
        return "zip"
    if ext in ("pdf", "png", "jpg", "dwg"):
        return ext
    if ext is None:
        text = head.lstrip()[:64]
        if head.startswith(b"AutoCAD Binary DXF"):
            return "dxf"
        lines = text.replace(b"\r", b"").split(b"\n")
        if len(lines) >= 2 and lines[0].strip() == b"0" and lines[1].strip() == b"SECTION":
            return "dxf"
    return ext


def validate_upload(*, name: str, data: bytes, accepted_types: str) -> tuple[str, str]:
    """(clean name, content type) or ServiceError. Checks the name, the size, the type by content and
    that the name ends in an extension of an accepted type."""
    name = validate_file_name(name)
    limit = settings.JR_UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise ServiceError(
            f"文件过大: {len(data)} 字节, 上限 {limit} 字节。 The file is {len(data)} bytes; the limit is {limit}."
        )
    if not data:
        raise ServiceError("文件为空 The file is empty.")
    allowed = [t.strip().lower() for t in (accepted_types or "pdf").split(",") if t.strip()]
    allowed_text = ", ".join(allowed)
    detected = _sniff(data[:8192], data)
    if detected not in allowed:
        shown = FILE_TYPES[detected][0] if detected in FILE_TYPES else (detected or "无法识别 unknown")
        raise ServiceError(
            f"文件内容为 {shown}, 本材料只接受 {allowed_text}。 "
            f"The file's content is {shown}; this material accepts {allowed_text} (checked by content, not name)."
        )
    _require_allowed_extension(name, allowed)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    known_exts = {e: t for t, (_d, exts) in FILE_TYPES.items() for e in exts}
    if ext in known_exts and known_exts[ext] != detected:
        raise ServiceError(
            f"文件扩展名 .{ext} 与内容 ({FILE_TYPES[detected][0]}) 不符。 "
            f"The name says .{ext} but the content is {FILE_TYPES[detected][0]}."
        )
    return name, _MIME[detected]


def allowed_extensions(allowed: list[str]) -> list[str]:
    """The file-name extensions that may name a file of these accepted_types tokens (pdf -> pdf; jpg ->
    jpg, jpeg); a token we do not know names itself."""
    out: list[str] = []
    for token in allowed:
        for ext in FILE_TYPES.get(token, (token, (token,)))[1]:
            if ext not in out:
                out.append(ext)
    return out


def _require_allowed_extension(name: str, allowed: list[str]) -> None:
    """The name must end in an extension of an accepted type, whatever the content: a real PDF named
    report.html or x.pdf.exe would be saved and later opened by that name."""
    extensions = allowed_extensions(allowed)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in extensions:
        raise ServiceError(gettext(
            "“%(name)s” was refused: the file name must end in %(extensions)s (accepted here: %(types)s)."
        ) % {"name": name, "extensions": ", ".join(f".{e}" for e in extensions), "types": ", ".join(allowed)},
            code="file_extension")


def _read_upload(upload) -> tuple[str, bytes]:
    """Accept a Django UploadedFile or a (name, bytes) pair. Reads at most the limit + 1 bytes."""
    limit = settings.JR_UPLOAD_MAX_BYTES
    if isinstance(upload, tuple):
        name, data = upload
        return name, bytes(data)
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ServiceError(
            f"文件过大: {size} 字节, 上限 {limit} 字节。 The file is {size} bytes; the limit is {limit}."
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    return upload.name, data


def _document_for(project: Project, material: Material) -> Document:
    code = f"{material.item.code}--{material.code}"[:60]
    doc, _ = Document.objects.get_or_create(
        project=project, material_code=code, defaults={"title": material.name[:200]}
    )
    return doc


def _store_version(*, actor, document: Document, name: str, data: bytes, content_type: str, note: str = ""):
    locked = Document.objects.select_for_update().get(pk=document.pk)  # version numbers under a row lock
    number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = DocumentVersion(
        document=locked, number=number, original_name=name, content_type=content_type, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor, note=note,
    )
    # checked before the file is stored (a refusal leaves no file behind)
    common.full_clean(version, exclude=["file", "document"], validate_unique=False, validate_constraints=False)
    version.file.save("upload", ContentFile(data), save=False)  # path derived from project + sha256
    common.full_clean(version)
    version.save()
    return version


@transaction.atomic
def document_upload(*, actor, application_material: ApplicationMaterial | int, upload, note: str = ""):
    """Upload a new immutable version of the document answering one required material."""
    am_pk = application_material.pk if isinstance(application_material, ApplicationMaterial) else application_material
    try:
        am = ApplicationMaterial.objects.select_related("material__item").get(pk=am_pk)
    except ApplicationMaterial.DoesNotExist:
        raise ServiceError("材料不存在 No such material.") from None
    app = _lock_application(am.application_id)
    common.require_project_owner(actor, app.project, "上传材料")
    deferral = Deferral.objects.filter(application=app, material=am.material, fulfilled_at__isnull=True).first()
    if app.status in OWNER_EDITABLE_STATUSES:
        purpose = "draft"
    elif app.status == ApplicationStatus.ACCEPTED and deferral is not None:
        purpose = "deferral"
    elif app.status == ApplicationStatus.REVISION:
        purpose = "revision"
    else:
        raise ConflictError(
            f"申请处于「{_status_label(app.status)}」状态, 不能上传材料。 Documents can be uploaded to a draft, "
            "after a return, for a deferred (容缺) material, or in a revision round."
        )
    name, data = _read_upload(upload)
    name, content_type = validate_upload(name=name, data=data, accepted_types=am.material.accepted_types)
    document = _document_for(app.project, am.material)
    version = _store_version(actor=actor, document=document, name=name, data=data, content_type=content_type,
                             note=note)
    before = {"document": am.document_id, "check_status": am.check_status}
    am.document = document
    if purpose == "deferral":
        Deferral.objects.filter(pk=deferral.pk, fulfilled_at__isnull=True).update(
            fulfilled_at=timezone.now(), fulfilled_version=version
        )
    elif app.status in OWNER_EDITABLE_STATUSES:
        am.check_status = CheckStatus.UNCHECKED  # a new version needs a new check
    am.save(update_fields=["document", "check_status"])
    # the owner reads its documents by rule; agencies whose recorded portion covers this material
    # are granted the new document (jointreview/policy/portions.py)
    readers = {a.agency_id: a.agency for a in app.assignments.select_related("agency") if covers(a, am.material.code)}
    grant_many([("view_document", agency, document) for _pk, agency in sorted(readers.items())])
    audit_record(
        actor=actor, verb="document.upload", target=version, application=app, before=before,
        after={"material": am.material.code, "version": version.number, "sha256": version.sha256,
               "size": version.size, "purpose": purpose},
    )
    return version


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
    app = _lock_application(application)
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
    audit_record(actor=actor, verb="application.submit", target=app, before={"status": before},
                 after={"status": app.status})
    return app


@transaction.atomic
def application_withdraw(*, actor, application: Application, reason: str = "") -> Application:
    app = _lock_application(application)
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
    audit_record(actor=actor, verb="application.withdraw", target=app, before={"status": before},
                 after={"status": app.status}, note=reason)
    return app


# ---------------------------------------------------------------------------------------------
# the window: completeness check, 一次告知, 受理
# ---------------------------------------------------------------------------------------------


def _require_window_pending(app: Application, what: str) -> None:
    if app.status == ApplicationStatus.SUBMITTED:
        return
    if app.status in (ApplicationStatus.ACCEPTED, ApplicationStatus.REVISION, ApplicationStatus.APPROVED):
        raise ConflictError(f"申请已受理, 不能{what}。 The application was already accepted.", code="already_accepted")
    if app.status == ApplicationStatus.RETURNED:
        raise ConflictError(f"申请已退回补正, 不能{what}。 The application was already returned to the owner.")
    if app.status == ApplicationStatus.WITHDRAWN:
        raise ServiceError(f"申请已撤回, 不能{what}。 The owner withdrew this application.", code="withdrawn")
    raise ServiceError(
        f"申请处于「{_status_label(app.status)}」状态 (未提交), 不能{what}。 The application was never submitted.",
        code="not_submitted",
    )


@transaction.atomic
def completeness_check(*, actor, application: Application, results: list[dict]) -> list[ApplicationMaterial]:
    """The window marks materials ok / missing / defective (with a note). Substance is never judged here."""
    common.require_centre(actor, "审查材料")
    app = _lock_application(application)
    _require_window_pending(app, "审查材料")
    rows = {am.pk: am for am in app.materials.select_related("material")}
    now = timezone.now()
    changed = []
    allowed = {CheckStatus.OK, CheckStatus.MISSING, CheckStatus.DEFECTIVE}
    for r in results:
        try:
            am = rows[int(r["material_id"])]
        except (KeyError, TypeError, ValueError):
            raise ServiceError(f"材料 {r.get('material_id')!r} 不属于本申请。 Not a material of this application.") \
                from None
        status, note = r.get("status"), (r.get("note") or "").strip()
        if status not in allowed:
            raise ServiceError(f"审查结果 {status!r} 无效 (ok/missing/defective)。 Invalid check result.")
        if status == CheckStatus.OK and am.document_id is None:
            raise ServiceError(f"「{am.material.name}」未上传, 不能判为齐全。 It was not uploaded, so it is missing.")
        if status == CheckStatus.DEFECTIVE and not note:
            raise ServiceError(f"「{am.material.name}」不符合要求时须写明原因。 Say what is wrong with it.")
        if status == CheckStatus.MISSING and not note:
            note = "未提交 not submitted"
        note = common.check_text(note, label=f"「{am.material.name}」{gettext('Note')}", field=f"m{am.pk}-note",
                                 max_length=NOTE_MAX)
        changed.append((am, am.check_status, status, note))
    for am, _before, status, note in changed:
        am.check_status, am.check_note, am.checked_by, am.checked_at = status, note, actor, now
        am.save(update_fields=["check_status", "check_note", "checked_by", "checked_at"])
    audit_record(
        actor=actor, verb="application.completeness_check", target=app,
        before={str(am.pk): before for am, before, _s, _n in changed},
        after={str(am.pk): status for am, _b, status, _n in changed},
    )
    return [c[0] for c in changed]


def _auto_mark_missing(app: Application, actor) -> None:
    app.materials.filter(document__isnull=True, check_status=CheckStatus.UNCHECKED).update(
        check_status=CheckStatus.MISSING, check_note="未提交 not submitted", checked_by=actor,
        checked_at=timezone.now(),
    )


@transaction.atomic
def application_return(*, actor, application: Application) -> IssuedDocument:
    """一次告知: return the application with ONE notice listing every missing or defective material."""
    common.require_centre(actor, "退回补正")
    app = _lock_application(application)
    _require_window_pending(app, "退回补正")
    _auto_mark_missing(app, actor)
    materials = list(app.materials.select_related("material__item"))
    unchecked = [am.material.name for am in materials if am.check_status == CheckStatus.UNCHECKED]
    if unchecked:
        raise ServiceError(
            "一次告知须列明全部问题, 请先审查所有材料: " + "、".join(unchecked)
            + "。 Check every material first, so that the one notice lists every defect."
        )
    defects = [am for am in materials if am.check_status in (CheckStatus.MISSING, CheckStatus.DEFECTIVE)]
    if not defects:
        raise ServiceError("材料齐全, 无需退回, 请受理。 Every material is complete: accept the application instead.")
    n = Application.objects.filter(pk=app.pk, status=ApplicationStatus.SUBMITTED).update(
        status=ApplicationStatus.RETURNED
    )
    if n != 1:  # pragma: no cover - the row is locked
        raise ConflictError("申请状态已变化, 请刷新。 The application changed meanwhile; reload it.")
    today = common.today()
    seq = app.issued_documents.filter(kind=IssuedKind.COMPLETENESS_NOTICE).count() + 1
    content = {
        "centre": settings.JR_CENTRE_NAME,
        "title": "一次性告知书",
        "application": app.number,
        "project": {"name": app.project.name, "code": app.project.code, "owner": str(app.project.owner)},
        "workflow": app.workflow.name,
        "date": today.isoformat(),
        "submitted_at": timezone.localtime(app.submitted_at).date().isoformat() if app.submitted_at else "",
        "defects": [
            {"item": am.material.item.name, "material": am.material.name, "problem": am.check_status,
             "problem_label": CheckStatus(am.check_status).label, "note": am.check_note}
            for am in defects
        ],
        "officer": str(actor),
    }
    notice = IssuedDocument(
        kind=IssuedKind.COMPLETENESS_NOTICE, application=app, number=f"GZ-{app.number}-{seq}",
        verification_code=new_verification_code(), state=IssuedDocument.State.ISSUED,
        title="一次性告知书 One-time notice", content=content, issued_at=timezone.now(), issued_by=actor,
    )
    common.full_clean(notice)
    notice.save()
    NoticeDefect.objects.bulk_create(
        NoticeDefect(notice=notice, material=am.material, problem=am.check_status, note=am.check_note)
        for am in defects
    )
    app.refresh_from_db()
    audit_record(actor=actor, verb="application.return", target=app, before={"status": "submitted"},
                 after={"status": app.status, "notice": notice.number, "defects": len(defects)})
    common.notify(
        key=f"application-{app.pk}-notice-{notice.pk}", organization_id=app.project.owner_id,
        kind="completeness_notice",
        subject=f"一次性告知: {app.number} 需补正 {len(defects)} 项材料 (supplement {len(defects)} materials)",
        body="\n".join(f"{d['item']} / {d['material']}: {d['problem_label']} {d['note']}" for d in content["defects"]),
        application=app,
    )
    render_after_commit(notice.pk)
    return notice


def _promised_limit_date(item: Item, today: date) -> date:
    if item.promised_limit_unit == TimeUnit.NATURAL:
        return today + timedelta(days=item.promised_limit_value)
    return get_calendar().add(today, item.promised_limit_value)


def _validate_deferrals(app: Application, materials: dict[int, ApplicationMaterial], deferrals, today: date):
    out = []
    seen = set()
    for d in deferrals or []:
        try:
            material_id = int(d["material_id"])
        except (KeyError, TypeError, ValueError):
            raise ServiceError("容缺材料须指明 material_id。 Each deferral needs a material_id.") from None
        am = materials.get(material_id)
        if am is None:
            raise ServiceError(f"材料 {material_id} 不属于本申请。 Not a material of this application.")
        if material_id in seen:
            raise ServiceError(f"「{am.material.name}」重复容缺。 The material is deferred twice.")
        seen.add(material_id)
        m, item = am.material, am.material.item
        if m.essential:
            raise ServiceError(f"「{m.name}」是主要材料, 不能容缺。 An essential material cannot be deferred.")
        if not item.allows_deferral:
            raise ServiceError(f"「{item.name}」不允许容缺受理。 This item does not allow 容缺.")
        if am.check_status == CheckStatus.OK:
            raise ServiceError(f"「{m.name}」已齐全, 无需容缺。 The material is complete.")
        promised = d.get("promised_date")
        if isinstance(promised, str):
            try:
                promised = date.fromisoformat(promised)
            except ValueError:
                raise ServiceError(f"承诺日期 {promised!r} 无效 (YYYY-MM-DD)。 Invalid promised date.") from None
        if not isinstance(promised, date):
            raise ServiceError(f"「{m.name}」须填写承诺补交日期。 A promised date is required.")
        limit = _promised_limit_date(item, today)
        if promised < today or promised > limit:
            raise ServiceError(
                f"「{m.name}」承诺补交日期须在 {today} 至 {limit} 之间 (事项承诺时限)。 "
                f"The promised date must be between {today} and {limit} (the item's promised limit)."
            )
        commitment = (d.get("commitment") or "").strip()
        if not commitment:
            raise ServiceError(f"「{m.name}」须有容缺承诺书内容。 The owner's written commitment is required.")
        out.append((am, promised, commitment))
    return out


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
        audit_record(actor=actor, verb="assignment.create", target=a, application=app,
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
        audit_record(actor=actor, verb="survey_report.create", target=report, application=app,
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
        audit_record(actor=actor, verb="fee_order.create", target=order, application=app,
                     after={"total": order.total})

    grant_many(grants)
    audit_record(
        actor=actor, verb="application.accept", target=app, before={"status": "submitted"},
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


# ---------------------------------------------------------------------------------------------
# 多测合一: the firm delivers one report per receiving department
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def survey_report_deliver(*, actor, report: SurveyReport | int, upload, note: str = "") -> SurveyReport:
    """The surveying firm uploads one department's report; only that department (and the centre,
    the owner and the firm) can read it."""
    pk = report.pk if isinstance(report, SurveyReport) else report
    try:
        report = SurveyReport.objects.select_for_update().select_related("application__project", "department").get(
            pk=pk
        )
    except SurveyReport.DoesNotExist:
        raise ServiceError("报告不存在 No such report.") from None
    app = report.application
    firm_ids = set(
        app.assignments.filter(round_number=app.current_round or 1).values_list("agency_id", flat=True)
    )
    if not (getattr(actor, "is_agency", False) and actor.organization_id in firm_ids):
        raise PermissionDeniedError("只有承担测绘的单位可以提交报告。 Only the surveying firm may deliver reports.")
    if app.status not in (ApplicationStatus.ACCEPTED, ApplicationStatus.REVISION):
        raise ConflictError("申请不在测绘阶段。 The application is not in review.")
    name, data = _read_upload(upload)
    name, content_type = validate_upload(name=name, data=data, accepted_types="pdf,zip,ofd")
    doc, _ = Document.objects.get_or_create(
        project=app.project, material_code=f"survey-report-{app.pk}-{report.department_id}"[:60],
        defaults={"title": report.title[:200]},
    )
    version = _store_version(actor=actor, document=doc, name=name, data=data, content_type=content_type, note=note)
    before = {"document_version": report.document_version_id}
    report.document_version = version
    report.delivered_at = timezone.now()
    report.save(update_fields=["document_version", "delivered_at"])
    # the receiving department and the firm that delivered it (the owner and the centre by rule)
    firm = Organization.objects.get(pk=actor.organization_id)
    grant_many([("view_document", report.department, doc), ("view_document", firm, doc)])
    audit_record(actor=actor, verb="survey_report.deliver", target=report, application=app, before=before,
                 after={"document_version": version.pk, "sha256": version.sha256})
    common.notify(
        key=f"survey-report-{report.pk}-v{version.number}", organization_id=report.department_id,
        kind="survey_report",
        subject=f"测绘报告已提交 Survey report delivered: {app.number}", application=app,
    )
    return report
