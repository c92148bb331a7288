"""The window: completeness check, 一次告知 (return with ONE notice), and the validation of 容缺
deferrals asked for at acceptance."""
from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.services import audit_record, notify
from jointreview.audit.verbs import AuditVerb
from jointreview.clocks.calendar import get_calendar
from jointreview.documents.services import (
    document_header,
    new_verification_code,
    official_language,
    render_after_commit,
)
from jointreview.intake.services.common import _auto_mark_missing, _require_window_pending
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
    common.require_centre(actor, _("check materials"))
    app = common.lock_application(application)
    _require_window_pending(app, _("check its materials"))
    rows = {am.pk: am for am in app.materials.select_related("material")}
    now = timezone.now()
    changed = []
    for r in results:
        am = _material_of(rows, r.get("material_id") if isinstance(r, dict) else None)
        status, note = _check_result(am, r.get("status"), (r.get("note") or "").strip())
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


def _material_of(rows: dict[int, ApplicationMaterial], material_id) -> ApplicationMaterial:
    try:
        return rows[int(material_id)]
    except (KeyError, TypeError, ValueError):
        raise ServiceError(_("“%(material)s” is not a material of this application.")
                           % {"material": material_id}) from None


def _check_result(am: ApplicationMaterial, status, note: str) -> tuple[str, str]:
    """(status, note) of one material's check, or a refusal naming the material."""
    name = am.material.name
    if status not in (CheckStatus.OK, CheckStatus.MISSING, CheckStatus.DEFECTIVE):
        raise ServiceError(_("“%(result)s” is not a check result (ok, missing or defective).") % {"result": status})
    if status == CheckStatus.OK and am.document_id is None:
        raise ServiceError(_("“%(material)s” was not uploaded, so it is missing, not complete.") % {"material": name})
    if status == CheckStatus.DEFECTIVE and not note:
        raise ServiceError(_("“%(material)s”: say what is wrong with it.") % {"material": name},
                           fields={f"m{am.pk}-note": [_("This field is required.")]})
    if status == CheckStatus.MISSING and not note:
        note = "未提交"
    note = common.check_text(note, label=_("“%(material)s” note") % {"material": name}, field=f"m{am.pk}-note",
                             max_length=NOTE_MAX)
    return status, note


@transaction.atomic
def application_return(*, actor, application: Application) -> IssuedDocument:
    """一次告知: return the application with ONE notice listing every missing or defective material."""
    common.require_centre(actor, _("return applications"))
    app = common.lock_application(application)
    _require_window_pending(app, _("return it"))
    materials = list(app.materials.select_related("material__item"))
    _auto_mark_missing(app, actor, materials)
    unchecked = [am.material.name for am in materials if am.check_status == CheckStatus.UNCHECKED]
    if unchecked:
        raise ServiceError(_("Check every material first, so that the one notice lists every defect. Not checked: "
                             "%(materials)s.") % {"materials": "、".join(unchecked)}, code="unchecked")
    defects = [am for am in materials if am.check_status in (CheckStatus.MISSING, CheckStatus.DEFECTIVE)]
    if not defects:
        raise ServiceError(_("Every material is complete: accept the application instead."), code="complete")
    n = Application.objects.filter(pk=app.pk, status=ApplicationStatus.SUBMITTED).update(
        status=ApplicationStatus.RETURNED
    )
    if n != 1:  # pragma: no cover - the row is locked
        raise ConflictError(_("The application changed meanwhile; reload it."))
    notice = _issue_completeness_notice(actor, app, defects)
    app.refresh_from_db()
    audit_record(actor=actor, verb=AuditVerb.APPLICATION_RETURN, target=app, before={"status": "submitted"},
                 after={"status": app.status, "notice": notice.number, "defects": len(defects)})
    notify(key=f"application-{app.pk}-notice-{notice.pk}", kind=NotificationKind.COMPLETENESS_NOTICE,
           organization_id=app.project.owner_id, application=app,
           params={"number": app.number, "count": len(defects), "document": notice.number})
    return notice


def _issue_completeness_notice(actor, app: Application, defects: list[ApplicationMaterial]) -> IssuedDocument:
    """一次性告知书: every defect at once, in the official language (docs/domain.md §4.1)."""
    today = common.today()
    seq = app.issued_documents.filter(kind=IssuedKind.COMPLETENESS_NOTICE).count() + 1
    number = f"GZ-{app.number}-{seq}"
    code = new_verification_code()
    with official_language():
        content = {
            **document_header(app, title="一次性告知书", number=number, code=code, on=today),
            "submitted_at": timezone.localtime(app.submitted_at).date().isoformat() if app.submitted_at else "",
            "defects": [
                {"item": am.material.item.name, "material": am.material.name, "problem": am.check_status,
                 "problem_label": str(CheckStatus(am.check_status).label), "note": am.check_note}
                for am in defects
            ],
            "officer": str(actor),
        }
    notice = IssuedDocument(
        kind=IssuedKind.COMPLETENESS_NOTICE, application=app, number=number, verification_code=code,
        state=IssuedDocument.State.ISSUED, title="一次性告知书", content=content, issued_at=timezone.now(),
        issued_by=actor,
    )
    common.full_clean(notice)
    notice.save()
    NoticeDefect.objects.bulk_create(
        NoticeDefect(notice=notice, material=am.material, problem=am.check_status, note=am.check_note)
        for am in defects
    )
    audit_record(actor=actor, verb=AuditVerb.DOCUMENT_ISSUE, target=notice,
                 after={"kind": notice.kind, "number": number}, application=app)
    render_after_commit(notice.pk)
    return notice


def _promised_limit_date(item: Item, today: date) -> date:
    if item.promised_limit_unit == TimeUnit.NATURAL:
        return today + timedelta(days=item.promised_limit_value)
    return get_calendar().add(today, item.promised_limit_value)


def _validate_deferrals(app: Application, materials: dict[int, ApplicationMaterial], deferrals, today: date):
    """[(material, promised date, commitment)] of the 容缺 deferrals asked for at acceptance, or a refusal
    naming the material (docs/domain.md §4.1: never an essential material; by the item's promised limit)."""
    out = []
    seen = set()
    for d in deferrals or []:
        am = _deferred_material(materials, d.get("material_id") if isinstance(d, dict) else None, seen)
        promised = _promised_date(am, d.get("promised_date"), today)
        commitment = (d.get("commitment") or "").strip()
        if not commitment:
            raise ServiceError(_("“%(material)s”: the owner's written commitment is required.")
                               % {"material": am.material.name}, code="no_commitment")
        out.append((am, promised, commitment))
    return out


def _deferred_material(materials: dict[int, ApplicationMaterial], material_id, seen: set) -> ApplicationMaterial:
    try:
        material_id = int(material_id)
    except (TypeError, ValueError):
        raise ServiceError(_("Each deferral needs the id of a material of this application.")) from None
    am = materials.get(material_id)
    if am is None:
        raise ServiceError(_("“%(material)s” is not a material of this application.") % {"material": material_id})
    m, item = am.material, am.material.item
    if material_id in seen:
        raise ServiceError(_("“%(material)s” is deferred twice.") % {"material": m.name})
    seen.add(material_id)
    if m.essential:
        raise ServiceError(_("“%(material)s” is an essential material: it cannot be deferred.") % {"material": m.name})
    if not item.allows_deferral:
        raise ServiceError(_("“%(item)s” does not allow acceptance with deferred materials.") % {"item": item.name})
    if am.check_status == CheckStatus.OK:
        raise ServiceError(_("“%(material)s” is complete: there is nothing to defer.") % {"material": m.name})
    return am


def _promised_date(am: ApplicationMaterial, promised, today: date) -> date:
    m = am.material
    if isinstance(promised, str):
        try:
            promised = date.fromisoformat(promised)
        except ValueError:
            raise ServiceError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": promised}) from None
    if not isinstance(promised, date):
        raise ServiceError(_("“%(material)s”: a promised date is required.") % {"material": m.name})
    limit = _promised_limit_date(m.item, today)
    if promised < today or promised > limit:
        raise ServiceError(
            _("“%(material)s”: the promised date must be between %(first)s and %(last)s (the item's promised "
              "limit).") % {"material": m.name, "first": formats.date_format(today),
                            "last": formats.date_format(limit)}
        )
    return promised
