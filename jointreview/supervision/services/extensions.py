"""Clock extensions (延长审批, 行政许可法 §42): +``JR_EXTENSION_DAYS`` working days, once per clock, asked
for by the reviewer or the agency lead with a reason, decided by the agency lead (not the person who
asked) or the centre leader. Approval appends the extension event through ``clock_extend``, which
moves the due date (and audits ``clock.extend``); the owner is told the reason and the new date."""
from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.services import audit_record, notify
from jointreview.audit.verbs import AuditVerb
from jointreview.clocks.services import clock_extend
from jointreview.models import (
    OPEN_CLOCK_STATES,
    Clock,
    ClockEvent,
    ExtensionRequest,
    ExtensionStatus,
)
from jointreview.policy.supervision import can_decide_extension, can_request_extension
from jointreview.review.models import OPEN_ASSIGNMENT_STATUSES
from jointreview.review.services.common import _lock_assignment
from jointreview.services.common import full_clean
from jointreview.services.errors import ConflictError, PermissionDeniedError, ServiceError
from jointreview.supervision.services.alerts import agency_leads, centre_leaders, people
from projects.models import Role, User


def extension_request(*, actor, assignment_id: int, reason: str) -> ExtensionRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("An extension needs a written reason; the owner will be told it."),
                           fields={"reason": [_("This field is required.")]})
    with transaction.atomic():
        a = _lock_assignment(assignment_id)
        if not can_request_extension(actor, a):
            raise PermissionDeniedError(_("Only the acting reviewer or the agency lead may ask for an extension."))
        if a.status not in OPEN_ASSIGNMENT_STATUSES:
            raise ConflictError(_("The assignment is %(status)s: its clock is stopped.")
                                % {"status": a.get_status_display()})
        clock = Clock.objects.select_for_update().filter(pk=a.clock_id).first()
        if clock is None or clock.state not in OPEN_CLOCK_STATES:
            raise ConflictError(_("Only a running clock can be extended."))
        _require_first(clock)
        ext = ExtensionRequest(assignment=a, clock=clock, days=int(settings.JR_EXTENSION_DAYS), reason=reason,
                               requested_by=actor)
        full_clean(ext)
        ext.save()
        audit_record(actor=actor, verb=AuditVerb.EXTENSION_REQUEST, target=ext, application=a.application,
                     after={"days": ext.days, "status": ext.status}, note=reason)
        what = f"{a.application.number} / {a.agency}"
        for user in _deciders(ext, a):
            notify(key=f"ext-{ext.pk}-req-u{user.pk}", kind=NotificationKind.EXTENSION_REQUESTED,
                   organization_id=user.organization_id, user=user, application=a.application, assignment=a,
                   params={"what": what, "days": ext.days, "note": reason})
    return ext


def _require_first(clock: Clock) -> None:
    """The law allows one extension per clock (the request table's constraint is the second guard)."""
    if ClockEvent.objects.filter(clock=clock, kind=ClockEvent.Kind.EXTEND).exists() or \
            ExtensionRequest.objects.filter(clock=clock, status__in=[ExtensionStatus.PENDING,
                                                                     ExtensionStatus.APPROVED]).exists():
        raise ConflictError(_("This clock was already extended or an extension is pending: the law allows one "
                              "extension."))


def _deciders(ext: ExtensionRequest, a) -> list[User]:
    leads = [u for u in agency_leads([a.agency_id]).get(a.agency_id, []) if u.pk != ext.requested_by_id]
    return people(*leads) or people(*centre_leaders())


def extension_decide(*, actor, extension_id: int, approve: bool, note: str = "",
                     on: date | None = None) -> ExtensionRequest:
    """Approve (the clock gets its extension event dated ``on``, default today) or refuse."""
    note = (note or "").strip()
    with transaction.atomic():
        try:
            ext = (ExtensionRequest.objects.select_for_update(of=("self",))
                   .select_related("assignment__agency", "assignment__application__project", "requested_by")
                   .get(pk=extension_id))
        except (ExtensionRequest.DoesNotExist, ValueError, TypeError):
            raise ServiceError(_("No such extension request."), code="not_found") from None
        if not can_decide_extension(actor, ext):
            raise PermissionDeniedError(_("Only the agency lead (not the person who asked) or the centre leader "
                                          "may decide on an extension."))
        if ext.status != ExtensionStatus.PENDING:
            raise ConflictError(_("This extension request is already %(status)s.") % {"status": ext.get_status_display()})
        new = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
        ext.status, ext.decided_by, ext.decided_at, ext.decision_note = new, actor, timezone.now(), note
        full_clean(ext)
        ExtensionRequest.objects.filter(pk=ext.pk, status=ExtensionStatus.PENDING).update(
            status=new, decided_by=actor, decided_at=ext.decided_at, decision_note=note)
        clock = ext.clock
        if approve:
            clock = clock_extend(clock=clock, on=on or timezone.localdate(), days=ext.days, approver=actor,
                                 reason_text=ext.reason, actor=actor)
        audit_record(actor=actor, verb=AuditVerb.EXTENSION_APPROVE if approve else AuditVerb.EXTENSION_REFUSE,
                     target=ext, application=ext.assignment.application, before={"status": ExtensionStatus.PENDING},
                     after={"status": new, "due": clock.due_date}, note=note)
        _tell_decision(ext, clock)
    return ext


def _tell_decision(ext: ExtensionRequest, clock: Clock) -> None:
    a = ext.assignment
    params = {"what": f"{a.application.number} / {a.agency}", "days": ext.days,
              "due": clock.due_date.isoformat() if clock.due_date else "", "note": ext.decision_note}
    kind = NotificationKind.EXTENSION_APPROVED if ext.status == ExtensionStatus.APPROVED \
        else NotificationKind.EXTENSION_REFUSED
    told = [ext.requested_by]
    if ext.status == ExtensionStatus.APPROVED:  # the owner is told the extension and its reason (§42)
        told += list(User.objects.filter(organization_id=a.application.project.owner_id, role=Role.OWNER_STAFF,
                                         is_active=True).order_by("pk"))
        params["note"] = ext.reason
    for user in people(*told):
        notify(key=f"ext-{ext.pk}-{ext.status}-u{user.pk}", kind=kind, organization_id=user.organization_id,
               user=user, application=a.application, assignment=a if user.is_agency else None, params=params)
