"""The joint notice of a round (综合审查意见书): consolidated from the signed opinions, issued by the centre.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.services import audit_record, notify, notify_centre
from jointreview.audit.verbs import AuditVerb
from jointreview.documents.services import (
    document_header,
    new_verification_code,
    official_language,
    render_after_commit,
)
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


def _notice_content(rnd: ReviewRound, *, number: str, code: str, on: date) -> dict[str, Any]:
    """The joint notice's content snapshot: every agency's latest signed opinion with its findings
    grouped by speciality and numbered through, the agencies carried over from earlier rounds, the
    pauses, the conclusion. Official Chinese whatever the page language (docs/domain.md §8)."""
    with official_language():
        content = document_header(rnd.application, title="综合审查意见书", number=number, code=code, on=on)
        assignments = list(
            Assignment.objects.filter(round=rnd).exclude(status=AssignmentStatus.CANCELLED)
            .select_related("agency").order_by("agency__name", "pk")
        )
        agencies = _agency_entries(assignments)
        outcomes = {ag["outcome"] for ag in agencies}
        findings = [f for ag in agencies for g in ag["groups"] for f in g["findings"]]
        content.update({
            "round": rnd.number,
            "agencies": agencies,
            "carried_over": _carried_over(rnd, {a.agency_id for a in assignments}),
            "pauses": _pauses_of(assignments),
            "conclusion": CONCLUSION_TEXT[_conclusion(outcomes)],
            "counts": {"findings": len(findings),
                       "open": sum(1 for f in findings if f["state"] == Finding.State.OPEN)},
        })
    return content


# the conclusion of a round, by the worst outcome (the notice prints the Chinese; notifications
# translate the key: jointreview/audit/notifications.py CONCLUSIONS)
CONCLUSION_TEXT = {"reject": "不予通过", "revise": "请按审查意见修改后复审", "pass": "各单位审查通过"}


def _conclusion(outcomes: set[str]) -> str:
    if Outcome.REJECT in outcomes:
        return "reject"
    if Outcome.REVISE in outcomes:
        return "revise"
    return "pass"


def _agency_entries(assignments: list[Assignment]) -> list[dict[str, Any]]:
    """One entry per assignment with a signed opinion (the last signed version wins); findings are
    numbered through the whole notice."""
    opinions = {
        o.assignment_id: o
        for o in Opinion.objects.filter(assignment__in=assignments, state=Opinion.State.SIGNED)
        .select_related("signed_by").order_by("assignment_id", "version")
    }
    findings_by_opinion: dict[int, list[Finding]] = defaultdict(list)
    for f in (
        Finding.objects.filter(opinion__in=list(opinions.values()))
        .select_related("speciality", "document_version__document").order_by("opinion_id", "number")
    ):
        findings_by_opinion[f.opinion_id].append(f)
    attachments_by_opinion: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for att in OpinionAttachment.objects.filter(opinion__in=list(opinions.values())).order_by("opinion_id", "pk"):
        attachments_by_opinion[att.opinion_id].append({"name": att.original_name, "size": att.size,
                                                       "sha256": att.sha256})
    numbering = itertools.count(1)
    agencies = []
    for a in assignments:
        op = opinions.get(a.pk)
        if op is None:
            continue
        agencies.append({
            "agency": str(a.agency), "agency_id": a.agency_id, "assignment_id": a.pk, "opinion_id": op.pk,
            "outcome": op.outcome, "outcome_label": op.get_outcome_display(),
            "signed_by": str(op.signed_by) if op.signed_by else "",
            "signed_on": timezone.localtime(op.signed_at).date().isoformat() if op.signed_at else "",
            "version": op.version, "correction_reason": op.correction_reason, "summary": op.summary,
            "groups": _speciality_groups(findings_by_opinion[op.pk], numbering),
            "attachments": attachments_by_opinion[op.pk],
        })
    return agencies


def _speciality_groups(findings: list[Finding], numbering) -> list[dict[str, Any]]:
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        groups[f.speciality.name if f.speciality else "通用"].append(f)
    return [{"speciality": spec, "findings": [_finding_entry(f, next(numbering)) for f in groups[spec]]}
            for spec in sorted(groups)]


def _carried_over(rnd: ReviewRound, in_round: set[int]) -> list[dict[str, Any]]:
    """Agencies not in this round: their latest earlier outcome (they passed before)."""
    carried = []
    seen: set[int] = set()
    earlier = (
        Assignment.objects.filter(application_id=rnd.application_id, round_number__lt=rnd.number)
        .exclude(agency_id__in=in_round).exclude(status=AssignmentStatus.CANCELLED)
        .select_related("agency").order_by("agency__name", "-round_number")
    )
    for a in earlier:
        if a.agency_id in seen:
            continue
        seen.add(a.agency_id)
        op = latest_signed(a.pk)
        carried.append({"agency": str(a.agency), "round": a.round_number,
                        "outcome_label": op.get_outcome_display() if op else "—"})
    return carried


def _pauses_of(assignments: list[Assignment]) -> list[dict[str, Any]]:
    return [
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
            raise ServiceError(_("No such review round."), code="not_found") from None
        if rnd.completed_at is None:
            raise ConflictError(_("Round %(round)s is not complete: some agencies have not signed.")
                                % {"round": rnd.number})
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
            notify_centre(key=f"notice-{notice.pk}-drafted", kind=NotificationKind.NOTICE_DRAFTED,
                          params={"number": app.number, "round": rnd.number}, application=app)
        else:
            content = _notice_content(rnd, number=notice.number, code=notice.verification_code,
                                      on=date.fromisoformat(notice.content.get("date", on.isoformat())))
            if content != notice.content:
                redrafted = IssuedDocument.objects.filter(pk=notice.pk, state=IssuedDocument.State.DRAFT).update(
                    content=content, file="", sha256=""
                )
                if not redrafted:  # issued meanwhile (notice_issue refreshed the content itself): as issued
                    return IssuedDocument.objects.get(pk=notice.pk)
                notice.content = content
                audit_record(actor=actor, verb=AuditVerb.NOTICE_REDRAFT, target=notice,
                             after={"findings": content["counts"]["findings"]}, application=app)
    return notice


def consolidation_sweep(*, older_than_s: int = 120) -> int:
    """Beat: re-dispatch the consolidation of rounds completed more than ``older_than_s`` seconds ago
    that have no joint notice yet (a consolidation in flight is not doubled; it is idempotent anyway)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    missing = list(
        ReviewRound.objects.filter(completed_at__lt=cutoff)
        .exclude(notices__kind=IssuedKind.JOINT_NOTICE).values_list("pk", flat=True)[:200]
    )
    for round_id in missing:
        enqueue_after_commit(CONSOLIDATE_TASK, round_id=round_id)  # no transaction here: sent at once
    return len(missing)


def notice_issue(*, actor, notice_id: int, on: date | None = None) -> IssuedDocument:
    """The centre issues the joint notice of a round; the application moves on (see module doc)."""
    on = common.today(on)
    common.require_centre(actor, _("issue joint notices"))
    with transaction.atomic():
        app = common.lock_application(_application_of_notice(notice_id))  # first (architecture.md §3.7)
        notice = _lock_draft_notice(notice_id)
        _require_issuable(notice, app)
        # refresh the snapshot (corrections signed since the draft) and stamp the issue date
        rnd = ReviewRound.objects.get(pk=notice.round_id)
        content = _notice_content(rnd, number=notice.number, code=notice.verification_code, on=on)
        now = timezone.now()
        done = IssuedDocument.objects.filter(pk=notice.pk, state=IssuedDocument.State.DRAFT).update(
            state=IssuedDocument.State.ISSUED, issued_at=now, issued_by=actor, content=content, file="", sha256=""
        )
        if done != 1:  # pragma: no cover - the row is locked
            raise ConflictError(_("This joint notice is already issued."))
        notice.state, notice.issued_at, notice.issued_by, notice.content = (
            IssuedDocument.State.ISSUED, now, actor, content
        )
        outcomes = {ag["outcome"] for ag in content["agencies"]}
        audit_record(actor=actor, verb=AuditVerb.NOTICE_ISSUE, target=notice, before={"state": "draft"},
                     after={"state": "issued", "outcomes": sorted(outcomes)}, application=app)
        new_status = NEXT_STATUS[_conclusion(outcomes)]
        _move_application(actor, app, new_status, now)
        _application_clock(actor, app, new_status, on)
        params = {"document": notice.number, "number": app.number, "project": app.project.name,
                  "round": rnd.number, "conclusion": _conclusion(outcomes)}
        notify(key=f"notice-{notice.pk}-issued", kind=NotificationKind.JOINT_NOTICE,
               organization_id=app.project.owner_id, params=params, application=app)
        for ag in content["agencies"]:
            notify(key=f"notice-{notice.pk}-issued-{ag['agency_id']}", kind=NotificationKind.JOINT_NOTICE,
                   organization_id=ag["agency_id"], params=params, application=app)
        render_after_commit(notice.pk)
    return notice


# the application's status once the notice is issued, by the round's conclusion (see module doc)
NEXT_STATUS = {"reject": ApplicationStatus.REJECTED, "revise": ApplicationStatus.REVISION,
               "pass": ApplicationStatus.ACCEPTED}


def _application_of_notice(notice_id: int) -> int:
    try:
        app_id = (IssuedDocument.objects.filter(pk=notice_id, kind=IssuedKind.JOINT_NOTICE)
                  .values_list("application_id", flat=True).first())
    except (ValueError, TypeError):
        app_id = None
    if app_id is None:
        raise ServiceError(_("No such joint notice."), code="not_found")
    return app_id


def _lock_draft_notice(notice_id: int) -> IssuedDocument:
    try:
        return IssuedDocument.objects.select_for_update().get(pk=notice_id, kind=IssuedKind.JOINT_NOTICE)
    except (IssuedDocument.DoesNotExist, ValueError, TypeError):
        raise ServiceError(_("No such joint notice."), code="not_found") from None


def _require_issuable(notice: IssuedDocument, app: Application) -> None:
    if notice.state != IssuedDocument.State.DRAFT:
        raise ConflictError(_("This joint notice is already issued."))
    if app.status not in (ApplicationStatus.ACCEPTED, ApplicationStatus.REVISION):
        raise ConflictError(_("The application is %(status)s.") % {"status": app.get_status_display()})
    pending = Opinion.objects.filter(assignment__round_id=notice.round_id, state=Opinion.State.DRAFT)
    if pending.exists():
        names = ", ".join(sorted({str(o.assignment.agency) for o in pending.select_related("assignment__agency")}))
        raise ConflictError(_("A correction of an opinion is still a draft (%(agencies)s): sign it first.")
                            % {"agencies": names})


def _move_application(actor, app: Application, new_status: str, now) -> None:
    if new_status == app.status:
        return
    fields: dict[str, Any] = {"status": new_status}
    if new_status == ApplicationStatus.REJECTED:
        fields["decided_at"] = now
    Application.objects.filter(pk=app.pk, status=app.status).update(**fields)
    audit_record(actor=actor, verb=AuditVerb(f"application.{new_status}"), target=app,
                 before={"status": app.status}, after={"status": new_status})
