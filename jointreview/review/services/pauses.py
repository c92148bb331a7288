"""Clock pauses (特别程序): requested by the reviewer, decided by the centre, ended; the pause notice.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

from datetime import date

from django.conf import settings
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
    _lock_assignment,
    _lock_pause_and_assignment,
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
        raise ServiceError(_("Choose a reason for the pause (expert review, site inspection, testing, hearing ...)."),
                           fields={"reason": [_("Choose a reason.")]})
    if not reason_text:
        raise ServiceError(_("A pause needs a written reason; the owner will be told it."),
                           fields={"reason_text": [_("This field is required.")]})
    if isinstance(expected_days, bool) or not isinstance(expected_days, int) or expected_days < 1:
        raise ServiceError(_("The expected length must be a whole number of working days, at least 1."),
                           fields={"expected_days": [_("Enter a whole number, at least 1.")]})
    if expected_days > settings.JR_PAUSE_MAX_DAYS:
        message = _("The expected length of a pause is at most %(max)d working days.") % {
            "max": settings.JR_PAUSE_MAX_DAYS}
        raise ServiceError(message, fields={"expected_days": [message]})
    with transaction.atomic():
        a = _lock_assignment(assignment_id)
        _require_writer(actor, a, _("request a pause"))
        if a.status not in OPEN_ASSIGNMENT_STATUSES:
            raise ConflictError(_("The assignment is %(status)s: its clock is stopped.")
                                % {"status": a.get_status_display()})
        clock = Clock.objects.filter(pk=a.clock_id).first()
        if clock is None or clock.state != ClockState.RUNNING:
            state = clock.get_state_display() if clock else _("not started")
            raise ConflictError(_("The assignment clock is %(state)s: only a running clock can be paused.")
                                % {"state": state})
        if PauseRequest.objects.filter(
            assignment=a, status__in=[PauseRequest.Status.REQUESTED, PauseRequest.Status.APPROVED]
        ).exists():
            raise ConflictError(_("A pause of this assignment is already requested or running."))
        pr = PauseRequest(assignment=a, reason=reason, reason_text=reason_text, expected_days=expected_days,
                          requested_by=actor)
        common.full_clean(pr)
        pr.save()
        audit_record(actor=actor, verb=AuditVerb.PAUSE_REQUEST, target=pr,
                     after={"reason": reason, "expected_days": expected_days}, application=a.application,
                     note=reason_text)
        notify_centre(key=f"pause-{pr.pk}-requested", kind=NotificationKind.PAUSE_REQUESTED,
                      params={"number": a.application.number, "agency": a.agency.name, "note": reason_text},
                      application=a.application, assignment=a)
    return pr


def pause_decide(*, actor, pause_id: int, approve: bool, on: date | None = None, note: str = "") -> PauseRequest:
    """The coordinator approves (the clock pauses; the owner is told in writing) or refuses."""
    on = common.today(on)
    common.require_centre(actor, _("decide on clock pauses"))
    note = common.check_text(note, label=_("Note"), field="note", max_length=NOTE_MAX)
    with transaction.atomic():
        pr, a = _lock_pause_and_assignment(pause_id)
        if pr.status != PauseRequest.Status.REQUESTED:
            raise ConflictError(_("This pause request is already %(status)s.") % {"status": pr.get_status_display()})
        now = timezone.now()
        if not approve:
            PauseRequest.objects.filter(pk=pr.pk, status=PauseRequest.Status.REQUESTED).update(
                status=PauseRequest.Status.REFUSED, decided_by=actor, decided_at=now
            )
            pr.status = PauseRequest.Status.REFUSED
            audit_record(actor=actor, verb=AuditVerb.PAUSE_REFUSE, target=pr, before={"status": "requested"},
                         after={"status": pr.status}, application=a.application, note=note)
            notify(key=f"pause-{pr.pk}-refused", kind=NotificationKind.PAUSE_REFUSED, organization_id=a.agency_id,
                   params={"number": a.application.number, "note": note}, application=a.application, assignment=a)
            return pr
        clock = Clock.objects.filter(pk=a.clock_id).first()
        if a.status not in OPEN_ASSIGNMENT_STATUSES or clock is None or clock.state == ClockState.STOPPED:
            raise ConflictError(_("Pausing a stopped clock is refused: the assignment's opinion is already signed."))
        if clock.state != ClockState.RUNNING:
            raise ConflictError(_("The assignment clock is %(state)s: it cannot be paused.")
                                % {"state": clock.get_state_display()})
        from jointreview.clocks import services as clocks

        clock = clocks.clock_pause(clock=clock, on=on, reason=pr.reason, reason_text=pr.reason_text,
                                   expected_days=pr.expected_days, actor=actor)
        PauseRequest.objects.filter(pk=pr.pk, status=PauseRequest.Status.REQUESTED).update(
            status=PauseRequest.Status.APPROVED, decided_by=actor, decided_at=now, owner_told_at=now
        )
        pr.refresh_from_db()
        audit_record(actor=actor, verb=AuditVerb.PAUSE_APPROVE, target=pr, before={"status": "requested"},
                     after={"status": pr.status, "on": on}, application=a.application, note=note)
        app = a.application
        doc = _issue_pause_notice(actor, pr, a, on)
        notify(key=f"pause-{pr.pk}-approved", kind=NotificationKind.PAUSE_NOTICE, organization_id=app.project.owner_id,
               params={"number": app.number, "agency": a.agency.name, "on": on, "reason": pr.reason,
                       "days": pr.expected_days, "document": doc.number, "note": pr.reason_text},
               application=app, assignment=a)
        notify(key=f"pause-{pr.pk}-approved-agency", kind=NotificationKind.PAUSE_APPROVED, organization_id=a.agency_id,
               params={"number": app.number}, application=app, assignment=a)
    return pr


def _issue_pause_notice(actor, pr: PauseRequest, a: Assignment, on: date) -> IssuedDocument:
    app = a.application
    code = new_verification_code()
    number = f"ZT-{app.number}-P{pr.pk}"
    with official_language():
        content = {
            **document_header(app, title="特别程序告知书", number=number, code=code, on=on),
            "agency": str(a.agency), "reason_label": pr.get_reason_display(), "reason_text": pr.reason_text,
            "expected_days": pr.expected_days, "decided_on": on.isoformat(),
        }
    doc = IssuedDocument(
        kind=IssuedKind.PAUSE_NOTICE, application=app, agency_id=a.agency_id, round_id=a.round_id, number=number,
        verification_code=code, state=IssuedDocument.State.ISSUED, title="特别程序告知书",
        issued_at=timezone.now(), issued_by=actor, content=content,
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
        pr, a = _lock_pause_and_assignment(pause_id)
        if not can_end_pause(actor, pr, a):
            raise PermissionDeniedError(_("Only the reviewer, the agency lead or the centre may end a pause."))
        if pr.status != PauseRequest.Status.APPROVED:
            raise ConflictError(_("This pause is %(status)s, not running.") % {"status": pr.get_status_display()})
        from jointreview.clocks import services as clocks

        clock = Clock.objects.get(pk=a.clock_id)
        clock = clocks.clock_resume(clock=clock, on=on, actor=actor)
        PauseRequest.objects.filter(pk=pr.pk, status=PauseRequest.Status.APPROVED).update(
            status=PauseRequest.Status.ENDED
        )
        pr.status = PauseRequest.Status.ENDED
        audit_record(actor=actor, verb=AuditVerb.PAUSE_END, target=pr, before={"status": "approved"},
                     after={"status": pr.status, "on": on, "due_date": clock.due_date}, application=a.application)
        app = a.application
        notify(key=f"pause-{pr.pk}-ended", kind=NotificationKind.PAUSE_ENDED, organization_id=app.project.owner_id,
               params={"number": app.number, "agency": a.agency.name, "on": on, "due": clock.due_date},
               application=app, assignment=a)
    return pr
