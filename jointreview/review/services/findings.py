"""Findings of a draft opinion (add, change, remove, carried from the previous round) and the owner's answers.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    ApplicationStatus,
    Assignment,
    Finding,
    FindingTemplate,
    IssuedDocument,
    Opinion,
)
from jointreview.policy import (
    can_cite_version,
)
from jointreview.review.services.common import (
    _editable_draft,
    _joint_notice_of,
    _lock_assignment,
    _lock_opinion_and_assignment,
    _require_writer,
    latest_signed,
)
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError
from projects.models import Speciality

# what a copy of a finding keeps (a correction keeps everything; a carried finding is OPEN, numbered anew)
_COPIED_FIELDS = ("number", "speciality_id", "document_version_id", "sheet", "standard", "clause", "mandatory",
                  "text", "state", "carried_from_id", "response", "response_text", "responded_by_id", "responded_at")


def findings_copy(findings, opinion: Opinion, *, carry: bool = False) -> int:
    """Copy ``findings`` into the draft ``opinion`` with the owner's answers. ``carry``: into the next
    round's draft (each one OPEN, linked to the one it was carried from, numbered 1, 2, ...); otherwise
    into a correction of the same opinion (as they were). Returns how many were copied."""
    rows = []
    for n, f in enumerate(findings, start=1):
        values = {name: getattr(f, name) for name in _COPIED_FIELDS}
        if carry:
            values.update(number=n, state=Finding.State.OPEN, carried_from_id=f.pk)
        rows.append(Finding(opinion=opinion, **values))
    Finding.objects.bulk_create(rows)
    return len(rows)


def _carry_findings(opinion: Opinion, assignment: Assignment) -> int:
    """Copy the previous round's OPEN findings (with the owner's answers) into a new draft."""
    prev = latest_signed(assignment.previous_id) if assignment.previous_id else None
    if prev is None:
        return 0
    return findings_copy(prev.findings.filter(state=Finding.State.OPEN).order_by("number"), opinion, carry=True)


def _open_draft(actor, assignment: Assignment) -> Opinion:
    """The assignment's draft opinion, created (with carried findings) on first use."""
    draft = Opinion.objects.select_for_update().filter(assignment=assignment, state=Opinion.State.DRAFT).first()
    if draft is not None:
        return draft
    if Opinion.objects.filter(assignment=assignment, state=Opinion.State.SIGNED).exists():
        raise ConflictError(_("The opinion of this assignment is signed; make a correction (a new version) instead."))
    version = (assignment.opinions.aggregate(m=Max("version"))["m"] or 0) + 1
    draft = Opinion(assignment=assignment, version=version, author=actor)
    common.full_clean(draft)
    draft.save()
    carried = _carry_findings(draft, assignment)
    audit_record(actor=actor, verb=AuditVerb.OPINION_DRAFT, target=draft, after={"version": version, "carried": carried},
                 application=assignment.application)
    return draft


_FINDING_FIELDS = ("text", "standard", "clause", "mandatory", "sheet", "speciality_id", "document_version_id", "state")


_FINDING_TEXT_FIELDS = ("text", "standard", "clause", "sheet", "response_text")


def _clean_finding_values(assignment: Assignment, values: dict[str, Any], actor) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in _FINDING_FIELDS:
            raise ServiceError(_("A finding has no field “%(field)s”.") % {"field": key})
        if key in ("text", "standard", "clause", "sheet"):
            value = (value or "").strip()
        out[key] = value
    if "text" in out and not out["text"]:
        raise ServiceError(_("A finding needs its text."), fields={"text": [_("This field is required.")]})
    if out.get("document_version_id"):
        out["document_version_id"] = _citable_version(actor, assignment, out["document_version_id"])
    if out.get("speciality_id") and not Speciality.objects.filter(pk=out["speciality_id"]).exists():
        raise ServiceError(_("No such speciality."), fields={"speciality_id": [_("No such speciality.")]})
    if "state" in out and out["state"] not in Finding.State.values:
        raise ServiceError(_("Unknown finding state “%(state)s”.") % {"state": out["state"]})
    if "mandatory" in out:
        out["mandatory"] = bool(out["mandatory"])
    return out


def _citable_version(actor, assignment: Assignment, value: Any) -> int:
    """Only a version the reviewer may read: the application's documents within the agency's portion."""
    try:
        version_id = int(value)
    except (TypeError, ValueError):
        raise ServiceError(_("The document version must be a number."), code="invalid") from None
    if not can_cite_version(actor, assignment, version_id):
        raise ServiceError(_("The document version is not one of this application's documents that you may "
                             "read (your portion)."), code="invalid")
    return version_id


def _default_speciality_id(assignment: Assignment) -> int | None:
    return (
        assignment.items.exclude(item__speciality__isnull=True).values_list("item__speciality_id", flat=True).first()
    )


def finding_add(
    *, actor, assignment_id: int | None = None, opinion_id: int | None = None, template_id: int | None = None,
    **values,
) -> Finding:
    """Add a finding to the draft (of the assignment, or the given draft), optionally from the library."""
    with transaction.atomic():
        if opinion_id is not None:
            opinion, a = _lock_opinion_and_assignment(opinion_id)
            _editable_draft(actor, opinion, _("add findings"))
        else:
            a = _lock_assignment(assignment_id)
            _require_writer(actor, a, _("add findings"))
            if a.status not in OPEN_ASSIGNMENT_STATUSES:
                raise ConflictError(_("The assignment is %(status)s: its opinion is closed.")
                                    % {"status": a.get_status_display()})
            opinion = _open_draft(actor, a)
            opinion.assignment = a
        if template_id:
            tpl = FindingTemplate.objects.filter(pk=template_id).first()
            if tpl is None or (tpl.agency_id and tpl.agency_id != a.agency_id):
                raise ServiceError(_("No such finding template in your library."))
            base = {"text": tpl.text, "standard": tpl.standard, "clause": tpl.clause, "mandatory": tpl.mandatory,
                    "speciality_id": tpl.speciality_id}
            base.update({k: v for k, v in values.items() if v not in (None, "")})
            values = base
        clean = _clean_finding_values(a, values, actor)
        if not clean.get("text"):
            raise ServiceError(_("A finding needs its text."), fields={"text": [_("This field is required.")]})
        clean.setdefault("speciality_id", _default_speciality_id(a))
        clean.pop("state", None)
        number = (opinion.findings.aggregate(m=Max("number"))["m"] or 0) + 1
        finding = Finding(opinion=opinion, number=number, **clean)
        common.full_clean(finding)
        finding.save()
        audit_record(actor=actor, verb=AuditVerb.FINDING_ADD, target=finding, after={"number": number, **clean},
                     application=a.application)
    return finding


def _lock_finding_for_edit(actor, finding_id: int, what: str) -> tuple[Finding, Opinion, Assignment]:
    opinion_id = Finding.objects.filter(pk=finding_id).values_list("opinion_id", flat=True).first()
    if opinion_id is None:
        raise ServiceError(_("No such finding."), code="not_found")
    opinion, a = _lock_opinion_and_assignment(opinion_id)  # then the finding (common.py: one lock order)
    try:
        finding = Finding.objects.select_for_update().get(pk=finding_id)
    except Finding.DoesNotExist:  # removed meanwhile
        raise ServiceError(_("No such finding."), code="not_found") from None
    _editable_draft(actor, opinion, what)
    return finding, opinion, a


def finding_update(*, actor, finding_id: int, **values) -> Finding:
    """Change a finding of a draft; ``state="closed"`` closes a carried finding the owner has fixed."""
    with transaction.atomic():
        finding, _opinion, a = _lock_finding_for_edit(actor, finding_id, _("edit findings"))
        clean = _clean_finding_values(a, values, actor)
        before = {k: getattr(finding, k) for k in clean}
        for k, v in clean.items():
            setattr(finding, k, v)
        # a text written before the limits existed does not stop closing the finding or editing another field
        common.full_clean(finding, exclude=[f for f in _FINDING_TEXT_FIELDS if f not in clean])
        finding.save(update_fields=[k.removesuffix("_id") if k.endswith("_id") else k for k in clean] or None)
        audit_record(actor=actor, verb=AuditVerb.FINDING_EDIT, target=finding, before=before, after=clean,
                     application=a.application)
    return finding


def finding_remove(*, actor, finding_id: int) -> None:
    """Remove a finding from a draft (carried findings are closed, not removed); renumbers the rest."""
    with transaction.atomic():
        finding, opinion, a = _lock_finding_for_edit(actor, finding_id, _("remove findings"))
        if finding.carried_from_id:
            raise ConflictError(_("A finding carried from the previous round is closed (or kept open), not removed."))
        number = finding.number
        snapshot = {"number": number, "text": finding.text}
        finding.delete()
        for f in opinion.findings.filter(number__gt=number).order_by("number"):
            Finding.objects.filter(pk=f.pk).update(number=f.number - 1)
        audit_record(actor=actor, verb=AuditVerb.FINDING_REMOVE, target=opinion, before=snapshot, application=a.application)


def finding_respond(*, actor, finding_id: int, response: str, text: str) -> Finding:
    """The owner answers an OPEN finding of an issued notice: fixed or disputed, with text."""
    text = (text or "").strip()
    if response not in (Finding.Response.FIXED, Finding.Response.DISPUTED):
        raise ServiceError(_("Answer “fixed” or “disputed”."), fields={"response": [_("Choose an answer.")]})
    if not text:
        raise ServiceError(_("An answer needs text: what was changed, or why you disagree."),
                           fields={"text": [_("This field is required.")]})
    with transaction.atomic():
        try:
            finding = (
                Finding.objects.select_for_update(of=("self",))
                .select_related("opinion__assignment__application__project").get(pk=finding_id)
            )
        except Finding.DoesNotExist:
            raise ServiceError(_("No such finding."), code="not_found") from None
        opinion = finding.opinion
        a = opinion.assignment
        app = a.application
        common.require_project_owner(actor, app.project, _("answer findings"))
        if finding.state != Finding.State.OPEN:
            raise ConflictError(_("Answering a closed finding is refused: this finding is already closed."))
        if app.status != ApplicationStatus.REVISION or a.round_number != app.current_round:
            raise ConflictError(_("Findings are answered while the application awaits revision, before resubmitting."))
        if opinion.state != Opinion.State.SIGNED or Opinion.objects.filter(supersedes=opinion).exists():
            raise ConflictError(_("This finding belongs to a superseded version of the opinion."))
        notice = _joint_notice_of(a.round_id)
        if notice is None or notice.state != IssuedDocument.State.ISSUED:
            raise ConflictError(_("The joint notice of this round is not issued yet."))
        before = {"response": finding.response, "response_text": finding.response_text}
        finding.response, finding.response_text = response, text
        common.full_clean(finding, exclude=[f for f in _FINDING_TEXT_FIELDS if f != "response_text"])
        Finding.objects.filter(pk=finding.pk, state=Finding.State.OPEN).update(
            response=response, response_text=text, responded_by=actor, responded_at=timezone.now()
        )
        finding.refresh_from_db()
        audit_record(actor=actor, verb=AuditVerb.FINDING_RESPOND, target=finding, before=before,
                     after={"response": response, "response_text": text}, application=app)
    return finding
