"""The approval certificate (or joint acceptance opinion) once every agency passed.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.services import audit_record, notify
from jointreview.audit.verbs import AuditVerb
from jointreview.documents.services import (
    document_header,
    new_verification_code,
    official_language,
    render_after_commit,
)
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
from jointreview.review.services.common import _application_clock, latest_signed
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError


def certificate_outstanding(app: Application) -> list[str]:
    """What still stands between the application and its certificate (empty = ready)."""
    return certificate_outstanding_many([app])[app.pk]


def certificate_outstanding_many(apps) -> dict[int, list[str]]:
    """``certificate_outstanding`` of each application, by application id, in four queries whatever
    the number of applications (the coordination page checks a page of candidates at once)."""
    apps = list(apps)
    ids = [app.pk for app in apps]
    latest: dict[int, dict[int, Assignment]] = {pk: {} for pk in ids}
    for a in (
        Assignment.objects.filter(application_id__in=ids).exclude(status=AssignmentStatus.CANCELLED)
        .select_related("agency").order_by("application_id", "agency_id", "round_number")
    ):
        latest[a.application_id][a.agency_id] = a
    assignment_ids = [a.pk for per_app in latest.values() for a in per_app.values()]
    signed: dict[int, Opinion] = {}
    for op in (Opinion.objects.filter(assignment_id__in=assignment_ids, state=Opinion.State.SIGNED)
               .only("pk", "assignment_id", "outcome", "version").order_by("assignment_id", "version")):
        signed[op.assignment_id] = op  # the last signed version wins
    drafts = set(Opinion.objects.filter(assignment_id__in=assignment_ids, state=Opinion.State.DRAFT)
                 .values_list("assignment_id", flat=True))
    deferrals: dict[int, list[Deferral]] = {}
    for d in (Deferral.objects.filter(application_id__in=ids, fulfilled_at__isnull=True)
              .select_related("material").order_by("promised_date", "pk")):
        deferrals.setdefault(d.application_id, []).append(d)
    return {pk: _outstanding(latest[pk], signed, drafts, deferrals.get(pk, [])) for pk in ids}


def _outstanding(latest: dict[int, Assignment], signed: dict[int, Opinion], drafts: set[int],
                 deferrals: list[Deferral]) -> list[str]:
    out: list[str] = []
    if not latest:
        out.append(_("no agency has reviewed this application"))
    for a in sorted(latest.values(), key=lambda x: x.agency.name):
        op = signed.get(a.pk)
        if a.status in OPEN_ASSIGNMENT_STATUSES or op is None:
            out.append(_("%(agency)s: the review of round %(round)s is not signed")
                       % {"agency": a.agency, "round": a.round_number})
        elif op.outcome not in PASSING_OUTCOMES:
            out.append(_("%(agency)s: %(outcome)s (round %(round)s)")
                       % {"agency": a.agency, "outcome": op.get_outcome_display(), "round": a.round_number})
        elif a.pk in drafts:
            out.append(_("%(agency)s: a correction of its opinion is still a draft") % {"agency": a.agency})
    for d in deferrals:
        out.append(_("deferred material “%(material)s”, promised by %(date)s, not yet supplied")
                   % {"material": d.material, "date": formats.date_format(d.promised_date)})
    return out


def certificate_issue(*, actor, application_id: int, on: date | None = None) -> IssuedDocument:
    """The centre issues the certificate (审查合格书 / 联合验收意见书) when nothing is outstanding."""
    on = common.today(on)
    common.require_centre(actor, _("issue certificates"))
    with transaction.atomic():
        app = common.lock_application(application_id)
        if app.status == ApplicationStatus.APPROVED:
            raise ConflictError(_("The certificate of this application is already issued."))
        if app.status != ApplicationStatus.ACCEPTED:
            raise ConflictError(_("The application is %(status)s: no certificate can be issued.")
                                % {"status": app.get_status_display()})
        outstanding = certificate_outstanding(app)
        if outstanding:
            raise ServiceError(_("Approving with an agency outstanding is refused: %(what)s.")
                               % {"what": "; ".join(outstanding)}, code="outstanding")
        acceptance = app.workflow.kind == WorkflowKind.JOINT_ACCEPTANCE
        kind = IssuedKind.ACCEPTANCE_OPINION if acceptance else IssuedKind.CERTIFICATE
        title = app.workflow.certificate_title or "审查合格书"
        if acceptance and title == "审查合格书":
            title = "联合验收意见书"
        number = f"{'YS' if acceptance else 'HG'}-{app.number}"
        code = new_verification_code()
        with official_language():
            content = document_header(app, title=title, number=number, code=code, on=on)
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
        notify(key=f"certificate-{doc.pk}", kind=NotificationKind.CERTIFICATE, organization_id=app.project.owner_id,
               params={"title": title, "document": number, "project": app.project.name}, application=app)
        render_after_commit(doc.pk)
    return doc


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
    statement = f"经各审查单位并联审查, 项目「{app.project.name}」{app.workflow.name}审查合格, 特发此{title}。"
    return {"statement": statement, "agencies": agencies, "history": history}
