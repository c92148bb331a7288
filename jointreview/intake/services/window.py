"""The window: completeness check, 一次告知 (return with ONE notice), and the validation of 容缺
deferrals asked for at acceptance."""
from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.clocks.calendar import get_calendar
from jointreview.documents.services import new_verification_code, render_after_commit
from jointreview.intake.services.common import _auto_mark_missing, _lock_application, _require_window_pending
from jointreview.limits import NOTE_MAX
from jointreview.models import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    CheckStatus,
    IssuedDocument,
    IssuedKind,
    Item,
    NoticeDefect,
    TimeUnit,
)
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError


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
        actor=actor, verb=AuditVerb.APPLICATION_COMPLETENESS_CHECK, target=app,
        before={str(am.pk): before for am, before, _s, _n in changed},
        after={str(am.pk): status for am, _b, status, _n in changed},
    )
    return [c[0] for c in changed]


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
             "problem_label": common.official_label(CheckStatus(am.check_status)), "note": am.check_note}
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
    audit_record(actor=actor, verb=AuditVerb.APPLICATION_RETURN, target=app, before={"status": "submitted"},
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
