"""The joint notice of a round (综合审查意见书): consolidated from the signed opinions, issued by the centre.

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
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Finding,
    IssuedDocument,
    IssuedKind,
    Opinion,
    OpinionAttachment,
    Outcome,
    PauseRequest,
    ReviewRound,
)
from jointreview.review.services.common import (
    CONSOLIDATE_TASK,
    _application_clock,
    _centre_org_ids,
    _header,
    _joint_notice_of,
    latest_signed,
)
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError
from jointreview.services.queue import enqueue_after_commit


def _finding_entry(f: Finding, no: int) -> dict[str, Any]:
    dv = f.document_version
    return {
        "id": f.pk, "no": no, "text": f.text, "standard": f.standard, "clause": f.clause,
        "mandatory": f.mandatory, "sheet": f.sheet,
        "document": f"{dv.document.title} v{dv.number}" if dv else "",
        "state": f.state, "state_label": f.get_state_display(), "carried": bool(f.carried_from_id),
        "response": f.response, "response_label": f.get_response_display() if f.response else "",
        "response_text": f.response_text,
    }


@common.official_language  # an issued document: Chinese labels whoever issues it
def _notice_content(rnd: ReviewRound, *, number: str, code: str, on: date) -> dict[str, Any]:
    app = rnd.application
    content = _header(app, title="综合审查意见书", number=number, code=code, on=on)
    content["round"] = rnd.number
    assignments = list(
        Assignment.objects.filter(round=rnd).exclude(status=AssignmentStatus.CANCELLED)
        .select_related("agency").order_by("agency__name", "pk")
    )
    opinions = {
        o.assignment_id: o
        for o in Opinion.objects.filter(assignment__in=assignments, state=Opinion.State.SIGNED)
        .select_related("signed_by").order_by("assignment_id", "version")
    }  # the last (highest) signed version wins
    findings_by_opinion: dict[int, list[Finding]] = {}
    for f in (
        Finding.objects.filter(opinion__in=list(opinions.values()))
        .select_related("speciality", "document_version__document").order_by("opinion_id", "number")
    ):
        findings_by_opinion.setdefault(f.opinion_id, []).append(f)
    attachments_by_opinion: dict[int, list[dict[str, Any]]] = {}
    for att in OpinionAttachment.objects.filter(opinion__in=list(opinions.values())).order_by("opinion_id", "pk"):
        attachments_by_opinion.setdefault(att.opinion_id, []).append(
            {"name": att.original_name, "size": att.size, "sha256": att.sha256}
        )
    no = 0
    agencies = []
    outcomes = []
    for a in assignments:
        op = opinions.get(a.pk)
        if op is None:
            continue
        outcomes.append(op.outcome)
        groups: dict[str, list[dict[str, Any]]] = {}
        for f in findings_by_opinion.get(op.pk, []):
            groups.setdefault(f.speciality.name if f.speciality else "通用 General", []).append(f)
        group_list = []
        for spec in sorted(groups):
            entries = []
            for f in groups[spec]:
                no += 1
                entries.append(_finding_entry(f, no))
            group_list.append({"speciality": spec, "findings": entries})
        agencies.append({
            "agency": str(a.agency), "agency_id": a.agency_id, "assignment_id": a.pk, "opinion_id": op.pk,
            "outcome": op.outcome, "outcome_label": op.get_outcome_display(),
            "signed_by": str(op.signed_by) if op.signed_by else "",
            "signed_on": timezone.localtime(op.signed_at).date().isoformat() if op.signed_at else "",
            "version": op.version, "correction_reason": op.correction_reason, "summary": op.summary,
            "groups": group_list, "attachments": attachments_by_opinion.get(op.pk, []),
        })
    in_round = {a.agency_id for a in assignments}
    carried = []
    earlier = (
        Assignment.objects.filter(application=app, round_number__lt=rnd.number)
        .exclude(agency_id__in=in_round).exclude(status=AssignmentStatus.CANCELLED)
        .select_related("agency").order_by("agency__name", "-round_number")
    )
    seen: set[int] = set()
    for a in earlier:
        if a.agency_id in seen:
            continue
        seen.add(a.agency_id)
        op = latest_signed(a.pk)
        carried.append({"agency": str(a.agency), "round": a.round_number,
                        "outcome_label": op.get_outcome_display() if op else "—"})
    pauses = [
        {
            "agency": str(p.assignment.agency), "reason_label": p.get_reason_display(), "reason_text": p.reason_text,
            "expected_days": p.expected_days,
            "decided_on": timezone.localtime(p.decided_at).date().isoformat() if p.decided_at else "",
            "status_label": p.get_status_display(),
        }
        for p in PauseRequest.objects.filter(
            assignment__in=assignments, status__in=[PauseRequest.Status.APPROVED, PauseRequest.Status.ENDED]
        ).select_related("assignment__agency").order_by("decided_at", "pk")
    ]
    if Outcome.REJECT in outcomes:
        conclusion = "不予通过 Rejected"
    elif Outcome.REVISE in outcomes:
        conclusion = "请按审查意见修改后复审 Revise the documents and resubmit to the agencies listed"
    else:
        conclusion = "各单位审查通过 Every agency has passed"
    content.update({
        "agencies": agencies, "carried_over": carried, "pauses": pauses, "conclusion": conclusion,
        "counts": {"findings": no, "open": sum(
            1 for ag in agencies for g in ag["groups"] for f in g["findings"] if f["state"] == Finding.State.OPEN
        )},
    })
    return content


def round_consolidate(*, round_id: int, actor=None, on: date | None = None) -> IssuedDocument:
    """Build (or refresh, while still a draft) the joint notice of a completed round. Idempotent."""
    on = common.today(on)
    with transaction.atomic():
        try:
            rnd = (
                ReviewRound.objects.select_for_update(of=("self",))
                .select_related("application__project__owner", "application__workflow").get(pk=round_id)
            )
        except ReviewRound.DoesNotExist:
            raise ServiceError("no such review round", code="not_found") from None
        if rnd.completed_at is None:
            raise ConflictError(f"round {rnd.number} is not complete: some agencies have not signed")
        notice = _joint_notice_of(rnd.pk)
        if notice is not None and notice.state == IssuedDocument.State.ISSUED:
            return notice
        app = rnd.application
        if notice is None:
            number = f"ZS-{app.number}-R{rnd.number}"
            code = new_verification_code()
            content = _notice_content(rnd, number=number, code=code, on=on)
            notice = IssuedDocument(
                kind=IssuedKind.JOINT_NOTICE, application=app, round=rnd, number=number, verification_code=code,
                title="综合审查意见书", content=content,
            )
            common.full_clean(notice)
            notice.save()
            audit_record(actor=actor, verb=AuditVerb.NOTICE_DRAFT, target=notice,
                         after={"number": number, "findings": content["counts"]["findings"]}, application=app)
            for org_id in _centre_org_ids():
                common.notify(key=f"notice-{notice.pk}-drafted-{org_id}", organization_id=org_id,
                              kind="notice_drafted",
                              subject=f"综合审查意见书待签发 Joint notice ready to issue: {app.number} 第{rnd.number}轮",
                              application=app)
        else:
            content = _notice_content(rnd, number=notice.number, code=notice.verification_code,
                                      on=date.fromisoformat(notice.content.get("date", on.isoformat())))
            if content != notice.content:
                IssuedDocument.objects.filter(pk=notice.pk, state=IssuedDocument.State.DRAFT).update(
                    content=content, file="", sha256=""
                )
                notice.content = content
                audit_record(actor=actor, verb=AuditVerb.NOTICE_REDRAFT, target=notice,
                             after={"findings": content["counts"]["findings"]}, application=app)
    return notice


def consolidation_sweep() -> int:
    """Beat: re-dispatch the consolidation of completed rounds that have no joint notice yet."""
    missing = list(
        ReviewRound.objects.filter(completed_at__isnull=False)
        .exclude(notices__kind=IssuedKind.JOINT_NOTICE).values_list("pk", flat=True)[:200]
    )
    for round_id in missing:
        enqueue_after_commit(CONSOLIDATE_TASK, round_id=round_id)  # no transaction here: sent at once
    return len(missing)


def notice_issue(*, actor, notice_id: int, on: date | None = None) -> IssuedDocument:
    """The centre issues the joint notice of a round; the application moves on (see module doc)."""
    on = common.today(on)
    common.require_centre(actor, "签发综合审查意见书 (issue joint notices)")
    with transaction.atomic():
        try:
            notice = IssuedDocument.objects.select_for_update().get(pk=notice_id, kind=IssuedKind.JOINT_NOTICE)
        except IssuedDocument.DoesNotExist:
            raise ServiceError("no such joint notice", code="not_found") from None
        app = Application.objects.select_for_update().select_related("project", "workflow").get(
            pk=notice.application_id
        )
        if notice.state != IssuedDocument.State.DRAFT:
            raise ConflictError("this joint notice is already issued")
        if app.status not in (ApplicationStatus.ACCEPTED, ApplicationStatus.REVISION):
            raise ConflictError(f"the application is {app.get_status_display()}")
        pending = Opinion.objects.filter(assignment__round_id=notice.round_id, state=Opinion.State.DRAFT)
        if pending.exists():
            names = ", ".join(sorted({str(o.assignment.agency) for o in pending.select_related("assignment__agency")}))
            raise ConflictError(f"a correction of an opinion is still a draft ({names}): sign it first")
        # refresh the snapshot (corrections signed since the draft) and stamp the issue date
        rnd = ReviewRound.objects.get(pk=notice.round_id)
        content = _notice_content(rnd, number=notice.number, code=notice.verification_code, on=on)
        now = timezone.now()
        done = IssuedDocument.objects.filter(pk=notice.pk, state=IssuedDocument.State.DRAFT).update(
            state=IssuedDocument.State.ISSUED, issued_at=now, issued_by=actor, content=content, file="", sha256=""
        )
        if done != 1:  # pragma: no cover
            raise ConflictError("this joint notice is already issued")
        notice.state, notice.issued_at, notice.issued_by, notice.content = (
            IssuedDocument.State.ISSUED, now, actor, content
        )
        outcomes = {ag["outcome"] for ag in content["agencies"]}
        if Outcome.REJECT in outcomes:
            new_status = ApplicationStatus.REJECTED
        elif Outcome.REVISE in outcomes:
            new_status = ApplicationStatus.REVISION
        else:
            new_status = ApplicationStatus.ACCEPTED
        audit_record(actor=actor, verb=AuditVerb.NOTICE_ISSUE, target=notice, before={"state": "draft"},
                     after={"state": "issued", "outcomes": sorted(outcomes)}, application=app)
        if new_status != app.status:
            fields: dict[str, Any] = {"status": new_status}
            if new_status == ApplicationStatus.REJECTED:
                fields["decided_at"] = now
            Application.objects.filter(pk=app.pk, status=app.status).update(**fields)
            audit_record(actor=actor, verb=AuditVerb(f"application.{new_status}"), target=app,
                         before={"status": app.status}, after={"status": new_status})
        _application_clock(actor, app, new_status, on)
        common.notify(key=f"notice-{notice.pk}-issued", organization_id=app.project.owner_id,
                      kind="joint_notice",
                      subject=f"综合审查意见书 Joint review notice {notice.number}: {content['conclusion']}",
                      body=f"{app.project.name} 第{rnd.number}轮审查意见已出具。Round {rnd.number} notice issued.",
                      application=app)
        for ag in content["agencies"]:
            common.notify(key=f"notice-{notice.pk}-issued-{ag['agency_id']}", organization_id=ag["agency_id"],
                          kind="joint_notice", subject=f"综合审查意见书已签发 Joint notice issued: {notice.number}",
                          application=app)
        render_after_commit(notice.pk)
    return notice
