"""Clock pauses (特别程序): requested by the reviewer, decided by the centre, ended; the pause notice.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.documents.services import new_verification_code, render_after_commit
from jointreview.limits import NOTE_MAX
from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    Assignment,
    Clock,
    ClockState,
    IssuedDocument,
    IssuedKind,
    PauseReason,
    PauseRequest,
)
from jointreview.policy import (
    can_end_pause,
)
from jointreview.review.services.common import (
    _centre_org_ids,
    _header,
    _lock_assignment,
    _lock_pause,
    _require_writer,
)
from jointreview.services import common
from jointreview.services.errors import ConflictError, PermissionDeniedError, ServiceError


def pause_request(
    *, actor, assignment_id: int, reason: str, reason_text: str, expected_days: int
) -> PauseRequest:
    """The reviewer asks the coordinator to stop the assignment clock (expert review, testing ...)."""
    reason_text = (reason_text or "").strip()
    if reason not in PauseReason.values or reason == PauseReason.SUPPLEMENT:
        raise ServiceError("choose a reason for the pause (expert review, site inspection, testing, hearing ...)")
    if not reason_text:
        raise ServiceError("a pause needs a written reason the owner will be told")
    if isinstance(expected_days, bool) or not isinstance(expected_days, int) or expected_days < 1:
        raise ServiceError("the expected length must be a whole number of working days >= 1")
    if expected_days > settings.JR_PAUSE_MAX_DAYS:
        message = gettext("The expected length of a pause is at most %(max)d working days.") % {
            "max": settings.JR_PAUSE_MAX_DAYS}
        raise ServiceError(message, fields={"expected_days": [message]})
    with transaction.atomic():
        a = _lock_assignment(assignment_id)
        _require_writer(actor, a, "request a pause")
        if a.status not in OPEN_ASSIGNMENT_STATUSES:
            raise ConflictError(f"the assignment is {a.get_status_display()}: its clock is stopped")
        clock = Clock.objects.filter(pk=a.clock_id).first()
        if clock is None or clock.state != ClockState.RUNNING:
            state = clock.get_state_display() if clock else "not started"
            raise ConflictError(f"the assignment clock is {state}: only a running clock can be paused")
        if PauseRequest.objects.filter(
            assignment=a, status__in=[PauseRequest.Status.REQUESTED, PauseRequest.Status.APPROVED]
        ).exists():
            raise ConflictError("a pause of this assignment is already requested or running")
        pr = PauseRequest(assignment=a, reason=reason, reason_text=reason_text, expected_days=expected_days,
                          requested_by=actor)
        common.full_clean(pr)
        pr.save()
        audit_record(actor=actor, verb=AuditVerb.PAUSE_REQUEST, target=pr,
                     after={"reason": reason, "expected_days": expected_days}, application=a.application,
                     note=reason_text)
        for org_id in _centre_org_ids():
            common.notify(key=f"pause-{pr.pk}-requested-{org_id}", organization_id=org_id,
                          kind="pause_requested",
                          subject=f"暂停计时申请 Pause requested: {a.application.number} / {a.agency}",
                          body=reason_text, application=a.application, assignment=a)
    return pr


def pause_decide(*, actor, pause_id: int, approve: bool, on: date | None = None, note: str = "") -> PauseRequest:
    """The coordinator approves (the clock pauses; the owner is told in writing) or refuses."""
    on = common.today(on)
    common.require_centre(actor, "审批暂停计时 (decide on clock pauses)")
    note = common.check_text(note, label=gettext("Note"), field="note", max_length=NOTE_MAX)
    with transaction.atomic():
        pr = _lock_pause(pause_id)
        a = _lock_assignment(pr.assignment_id)
        if pr.status != PauseRequest.Status.REQUESTED:
            raise ConflictError(f"this pause request is already {pr.get_status_display()}")
        now = timezone.now()
        if not approve:
            PauseRequest.objects.filter(pk=pr.pk, status=PauseRequest.Status.REQUESTED).update(
                status=PauseRequest.Status.REFUSED, decided_by=actor, decided_at=now
            )
            pr.status = PauseRequest.Status.REFUSED
            audit_record(actor=actor, verb=AuditVerb.PAUSE_REFUSE, target=pr, before={"status": "requested"},
                         after={"status": pr.status}, application=a.application, note=note)
            common.notify(key=f"pause-{pr.pk}-refused", organization_id=a.agency_id, kind="pause_refused",
                          subject=f"暂停计时未获批准 Pause refused: {a.application.number}", body=note,
                          application=a.application, assignment=a)
            return pr
        clock = Clock.objects.filter(pk=a.clock_id).first()
        if a.status not in OPEN_ASSIGNMENT_STATUSES or clock is None or clock.state == ClockState.STOPPED:
            raise ConflictError("pausing a stopped clock is refused: the assignment's opinion is already signed")
        if clock.state != ClockState.RUNNING:
            raise ConflictError(f"the assignment clock is {clock.get_state_display()}: it cannot be paused")
        from jointreview.clocks import services as clocks

        clock = clocks.clock_pause(clock=clock, on=on, reason=pr.reason, reason_text=pr.reason_text,
                                   expected_days=pr.expected_days, actor=actor)
        Assignment.objects.filter(pk=a.pk).update(due_date=clock.due_date)
        PauseRequest.objects.filter(pk=pr.pk, status=PauseRequest.Status.REQUESTED).update(
            status=PauseRequest.Status.APPROVED, decided_by=actor, decided_at=now, owner_told_at=now
        )
        pr.refresh_from_db()
        audit_record(actor=actor, verb=AuditVerb.PAUSE_APPROVE, target=pr, before={"status": "requested"},
                     after={"status": pr.status, "on": on}, application=a.application, note=note)
        app = a.application
        doc = _issue_pause_notice(actor, pr, a, on)
        body = (
            f"根据《行政许可法》第四十五条, {a.agency}因{pr.get_reason_display()}({pr.reason_text})"
            f"自 {on} 起暂停计时, 预计 {pr.expected_days} 个工作日, 所需时间不计入审查时限。\n"
            f"{a.agency} paused its clock from {on} for {pr.get_reason_display()} ({pr.reason_text}), "
            f"expected {pr.expected_days} working days; this time is not counted. Notice {doc.number}."
        )
        common.notify(key=f"pause-{pr.pk}-approved", organization_id=app.project.owner_id,
                      kind="pause_notice",
                      subject=f"特别程序告知 Clock paused: {app.number} / {a.agency}", body=body,
                      application=app, assignment=a)
        common.notify(key=f"pause-{pr.pk}-approved-agency", organization_id=a.agency_id,
                      kind="pause_approved",
                      subject=f"暂停计时已批准 Pause approved: {app.number}", application=app, assignment=a)
    return pr


@common.official_language  # an issued document: Chinese labels whoever issues it
def _issue_pause_notice(actor, pr: PauseRequest, a: Assignment, on: date) -> IssuedDocument:
    app = a.application
    code = new_verification_code()
    doc = IssuedDocument(
        kind=IssuedKind.PAUSE_NOTICE, application=app, agency_id=a.agency_id, round_id=a.round_id, number=f"ZT-{app.number}-P{pr.pk}",
        verification_code=code, state=IssuedDocument.State.ISSUED, title="特别程序告知书",
        issued_at=timezone.now(), issued_by=actor,
        content={
            **_header(app, title="特别程序告知书", number=f"ZT-{app.number}-P{pr.pk}", code=code, on=on),
            "agency": str(a.agency), "reason_label": pr.get_reason_display(), "reason_text": pr.reason_text,
            "expected_days": pr.expected_days, "decided_on": on.isoformat(),
        },
    )
    common.full_clean(doc)
    doc.save()
    audit_record(actor=actor, verb=AuditVerb.DOCUMENT_ISSUE, target=doc, after={"kind": doc.kind, "number": doc.number},
                 application=app)
    render_after_commit(doc.pk)
    return doc


def pause_end(*, actor, pause_id: int, on: date | None = None) -> PauseRequest:
    """End an approved pause (the reviewer, the agency lead or the centre): the clock resumes."""
    on = common.today(on)
    with transaction.atomic():
        pr = _lock_pause(pause_id)
        a = _lock_assignment(pr.assignment_id)
        if not can_end_pause(actor, pr, a):
            raise PermissionDeniedError("only the reviewer, the agency lead or the centre may end a pause")
        if pr.status != PauseRequest.Status.APPROVED:
            raise ConflictError(f"this pause is {pr.get_status_display()}, not running")
        from jointreview.clocks import services as clocks

        clock = Clock.objects.get(pk=a.clock_id)
        clock = clocks.clock_resume(clock=clock, on=on, actor=actor)
        Assignment.objects.filter(pk=a.pk).update(due_date=clock.due_date)
        PauseRequest.objects.filter(pk=pr.pk, status=PauseRequest.Status.APPROVED).update(
            status=PauseRequest.Status.ENDED
        )
        pr.status = PauseRequest.Status.ENDED
        audit_record(actor=actor, verb=AuditVerb.PAUSE_END, target=pr, before={"status": "approved"},
                     after={"status": pr.status, "on": on, "due_date": clock.due_date}, application=a.application)
        app = a.application
        common.notify(key=f"pause-{pr.pk}-ended", organization_id=app.project.owner_id, kind="pause_ended",
                      subject=f"恢复计时 Clock resumed: {app.number} / {a.agency}",
                      body=f"自 {on} 起恢复计时, 新的到期日 {clock.due_date}. Resumed on {on}; due {clock.due_date}.",
                      application=app, assignment=a)
    return pr
