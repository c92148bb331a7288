"""The approval certificate (or joint acceptance opinion) once every agency passed.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.documents.services import new_verification_code, render_after_commit
from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    PASSING_OUTCOMES,
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Deferral,
    IssuedDocument,
    IssuedKind,
    Opinion,
    Outcome,
    WorkflowKind,
)
from jointreview.review.services.common import _application_clock, _header, _lock_application, latest_signed
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError


def certificate_outstanding(app: Application) -> list[str]:
    """What still stands between the application and its certificate (empty = ready)."""
    out: list[str] = []
    latest: dict[int, Assignment] = {}
    for a in (
        Assignment.objects.filter(application=app).exclude(status=AssignmentStatus.CANCELLED)
        .select_related("agency").order_by("agency_id", "round_number")
    ):
        latest[a.agency_id] = a
    if not latest:
        out.append("no agency has reviewed this application")
    for a in sorted(latest.values(), key=lambda x: x.agency.name):
        op = latest_signed(a.pk)
        if a.status in OPEN_ASSIGNMENT_STATUSES or op is None:
            out.append(f"{a.agency}: review of round {a.round_number} not signed")
        elif op.outcome not in PASSING_OUTCOMES:
            out.append(f"{a.agency}: {op.get_outcome_display()} (round {a.round_number})")
        elif Opinion.objects.filter(assignment=a, state=Opinion.State.DRAFT).exists():
            out.append(f"{a.agency}: a correction of its opinion is still a draft")
    for d in Deferral.objects.filter(application=app, fulfilled_at__isnull=True).select_related("material"):
        out.append(f"容缺 deferred material '{d.material}' (promised {d.promised_date}) not yet supplied")
    return out


def certificate_issue(*, actor, application_id: int, on: date | None = None) -> IssuedDocument:
    """The centre issues the certificate (审查合格书 / 联合验收意见书) when nothing is outstanding."""
    on = common.today(on)
    common.require_centre(actor, "出具合格文书 (issue certificates)")
    with transaction.atomic():
        app = _lock_application(application_id)
        if app.status == ApplicationStatus.APPROVED:
            raise ConflictError("the certificate of this application is already issued")
        if app.status != ApplicationStatus.ACCEPTED:
            raise ConflictError(f"the application is {app.get_status_display()}: no certificate can be issued")
        outstanding = certificate_outstanding(app)
        if outstanding:
            raise ServiceError("approving with an agency outstanding is refused: " + "; ".join(outstanding))
        acceptance = app.workflow.kind == WorkflowKind.JOINT_ACCEPTANCE
        kind = IssuedKind.ACCEPTANCE_OPINION if acceptance else IssuedKind.CERTIFICATE
        title = app.workflow.certificate_title or "审查合格书"
        if acceptance and title == "审查合格书":
            title = "联合验收意见书"
        number = f"{'YS' if acceptance else 'HG'}-{app.number}"
        code = new_verification_code()
        content = _header(app, title=title, number=number, code=code, on=on)
        content.update(_certificate_body(app, title))
        doc = IssuedDocument(kind=kind, application=app, number=number, verification_code=code, title=title,
                             state=IssuedDocument.State.ISSUED, issued_at=timezone.now(), issued_by=actor,
                             content=content)
        common.full_clean(doc)
        doc.save()
        now = timezone.now()
        Application.objects.filter(pk=app.pk, status=ApplicationStatus.ACCEPTED).update(
            status=ApplicationStatus.APPROVED, decided_at=now
        )
        audit_record(actor=actor, verb=AuditVerb.DOCUMENT_ISSUE, target=doc, after={"kind": kind, "number": number},
                     application=app)
        audit_record(actor=actor, verb=AuditVerb.APPLICATION_APPROVED, target=app, before={"status": app.status},
                     after={"status": ApplicationStatus.APPROVED, "certificate": number})
        _application_clock(actor, app, ApplicationStatus.APPROVED, on)
        common.notify(key=f"certificate-{doc.pk}", organization_id=app.project.owner_id, kind="certificate",
                      subject=f"{title} {number}: {app.project.name}", application=app)
        render_after_commit(doc.pk)
    return doc


@common.official_language  # an issued document: Chinese labels whoever issues it
def _certificate_body(app: Application, title: str) -> dict[str, Any]:
    agencies = []
    history = []
    latest: dict[int, Assignment] = {}
    for a in (
        Assignment.objects.filter(application=app).exclude(status=AssignmentStatus.CANCELLED)
        .select_related("agency").order_by("round_number", "agency__name")
    ):
        latest[a.agency_id] = a
        op = latest_signed(a.pk)
        if op is None:
            continue
        for f in op.findings.order_by("number"):
            history.append({
                "round": a.round_number, "agency": str(a.agency), "no": f.number, "text": f.text,
                "standard": f.standard, "clause": f.clause, "state_label": f.get_state_display(),
                "response_label": f.get_response_display() if f.response else "", "response_text": f.response_text,
            })
    for a in sorted(latest.values(), key=lambda x: x.agency.name):
        op = latest_signed(a.pk)
        conditions = []
        if op.outcome == Outcome.PASS_WITH_CONDITIONS:
            conditions = [f.text for f in op.findings.order_by("number")] or [op.summary]
        agencies.append({
            "agency": str(a.agency), "outcome_label": op.get_outcome_display(), "round": a.round_number,
            "signed_by": str(op.signed_by) if op.signed_by else "",
            "signed_on": timezone.localtime(op.signed_at).date().isoformat() if op.signed_at else "",
            "conditions": conditions,
        })
    statement = (
        f"经各审查单位并联审查, 项目「{app.project.name}」{app.workflow.name}审查合格, 特发此{title}。"
        f" The joint review of this project is complete and every agency has passed."
    )
    return {"statement": statement, "agencies": agencies, "history": history}
