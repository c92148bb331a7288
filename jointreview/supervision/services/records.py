"""Answering and closing supervision records (督办单)."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.services import audit_record, notify
from jointreview.audit.verbs import AuditVerb
from jointreview.models import SupervisionRecord, SupervisionStatus
from jointreview.policy.supervision import can_answer_supervision, can_close_supervision
from jointreview.services.common import full_clean
from jointreview.services.errors import ConflictError, PermissionDeniedError, ServiceError
from jointreview.supervision.models import CLOSABLE_SUPERVISION_STATUSES


def _lock(record: SupervisionRecord | int) -> SupervisionRecord:
    pk = record.pk if isinstance(record, SupervisionRecord) else record
    try:
        return (SupervisionRecord.objects.select_for_update(of=("self",))
                .select_related("application__accepted_by").get(pk=pk))
    except (SupervisionRecord.DoesNotExist, ValueError, TypeError):
        raise ServiceError(_("No such supervision record."), code="not_found") from None


def supervision_answer(*, actor, record: SupervisionRecord | int, response: str) -> SupervisionRecord:
    """An addressee answers (what was done, when the case will be finished): open -> answered; the
    coordinator who accepted the case is told, to close it."""
    response = (response or "").strip()
    if not response:
        raise ServiceError(_("Write your answer."), fields={"response": [_("This field is required.")]})
    with transaction.atomic():
        rec = _lock(record)
        if not can_answer_supervision(actor, rec):
            raise PermissionDeniedError(_("Only the people this supervision record is addressed to may answer it."))
        if rec.status != SupervisionStatus.OPEN:
            raise ConflictError(_("This supervision record is already %(status)s.")
                                % {"status": rec.get_status_display()})
        now = timezone.now()
        rec.status, rec.response, rec.responded_by, rec.responded_at, rec.status_at = (
            SupervisionStatus.ANSWERED, response, actor, now, now)
        full_clean(rec)
        updated = SupervisionRecord.objects.filter(pk=rec.pk, status=SupervisionStatus.OPEN).update(
            status=rec.status, response=response, responded_by=actor, responded_at=now, status_at=now)
        if not updated:
            raise ConflictError(_("This supervision record was answered meanwhile."))
        audit_record(actor=actor, verb=AuditVerb.SUPERVISION_ANSWER, target=rec, application=rec.application,
                     before={"status": SupervisionStatus.OPEN}, after={"status": rec.status}, note=response[:300])
        coordinator = rec.application.accepted_by if rec.application is not None else None
        if coordinator is not None and coordinator.pk != actor.pk and coordinator.organization_id:
            notify(key=f"sv-{rec.pk}-answered", kind=NotificationKind.SUPERVISION_ANSWERED,
                   organization_id=coordinator.organization_id, user=coordinator, application=rec.application,
                   params={"number": rec.number, "what": rec.content})
    return rec


def supervision_close(*, actor, record: SupervisionRecord | int, note: str = "") -> SupervisionRecord:
    """A coordinator or the centre leader closes an answered record."""
    note = (note or "").strip()
    with transaction.atomic():
        rec = _lock(record)
        if not can_close_supervision(actor):
            raise PermissionDeniedError(_("Only a coordinator or the centre leader may close a supervision record."))
        if rec.status not in CLOSABLE_SUPERVISION_STATUSES:
            raise ConflictError(_("Only an answered supervision record can be closed; this one is %(status)s.")
                                % {"status": rec.get_status_display()})
        now = timezone.now()
        rec.status, rec.closed_by, rec.closed_at, rec.close_note, rec.status_at = (
            SupervisionStatus.CLOSED, actor, now, note, now)
        full_clean(rec)
        updated = SupervisionRecord.objects.filter(pk=rec.pk, status__in=CLOSABLE_SUPERVISION_STATUSES).update(
            status=rec.status, closed_by=actor, closed_at=now, close_note=note, status_at=now)
        if not updated:
            raise ConflictError(_("This supervision record was closed meanwhile."))
        audit_record(actor=actor, verb=AuditVerb.SUPERVISION_CLOSE, target=rec, application=rec.application,
                     before={"status": SupervisionStatus.ANSWERED}, after={"status": rec.status}, note=note)
    return rec
