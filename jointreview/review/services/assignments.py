"""Who works on an assignment: reviewer A and backup B (AB角), members' presence.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

import secrets

from django.db import transaction

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentStatus,
    Notification,
)
from jointreview.review.services.common import _lock_assignment, _require_lead
from jointreview.services.errors import ConflictError, ServiceError
from projects.models import AGENCY_ROLES, User


def assignment_assign(*, actor, assignment_id: int, reviewer_id: int, backup_id: int | None = None) -> Assignment:
    """The agency lead sets reviewer A and backup B (both members of the agency); reassigning is allowed."""
    with transaction.atomic():
        a = _lock_assignment(assignment_id)
        _require_lead(actor, a.agency_id, "assign reviewers")
        if a.status not in OPEN_ASSIGNMENT_STATUSES:
            raise ConflictError(f"the assignment is {a.get_status_display()}: reviewers can no longer change")
        members = {
            u.pk: u
            for u in User.objects.filter(
                pk__in=[x for x in (reviewer_id, backup_id) if x], organization_id=a.agency_id,
                role__in=AGENCY_ROLES, is_active=True,
            )
        }
        reviewer = members.get(reviewer_id)
        if reviewer is None:
            raise ServiceError("the reviewer (A) must be an active member of this agency")
        backup = None
        if backup_id:
            backup = members.get(backup_id)
            if backup is None:
                raise ServiceError("the backup (B) must be an active member of this agency")
            if backup.pk == reviewer.pk:
                raise ServiceError("the backup (B) must be another person than the reviewer (A)")
        before = {"status": a.status, "reviewer": a.reviewer_id, "backup": a.backup_id}
        updated = Assignment.objects.filter(pk=a.pk, status__in=OPEN_ASSIGNMENT_STATUSES).update(
            reviewer=reviewer, backup=backup, status=AssignmentStatus.IN_REVIEW
        )
        if updated != 1:  # pragma: no cover - the row is locked
            raise ConflictError("the assignment changed meanwhile; reload and try again")
        a.reviewer, a.backup, a.status = reviewer, backup, AssignmentStatus.IN_REVIEW
        audit_record(
            actor=actor, verb=AuditVerb.ASSIGNMENT_REASSIGN if before["reviewer"] else AuditVerb.ASSIGNMENT_ASSIGN, target=a,
            before=before, after={"status": a.status, "reviewer": reviewer.pk, "backup": backup.pk if backup else None},
            application=a.application,
        )
        for who, role in ((reviewer, "A"), (backup, "B")):
            if who is not None:
                Notification.objects.create(
                    key=f"assignment-{a.pk}-assigned-{role}-{who.pk}-{secrets.token_hex(4)}",
                    organization_id=a.agency_id, user=who, kind="assignment_assigned",
                    subject=f"您被指派为{role}角 You are reviewer {role}: {a.application.number}",
                    application=a.application, assignment=a,
                )
    return a


def user_mark_absent(*, actor, user_id: int, absent: bool) -> User:
    """The lead marks a member of the agency absent (B acts for A) or present again."""
    with transaction.atomic():
        try:
            user = User.objects.select_for_update().get(pk=user_id)
        except User.DoesNotExist:
            raise ServiceError("no such user") from None
        _require_lead(actor, user.organization_id or -1, "mark members absent")
        if user.role not in AGENCY_ROLES:
            raise ServiceError("only agency members can be marked absent")
        if user.is_absent == absent:
            return user
        before = {"is_absent": user.is_absent}
        User.objects.filter(pk=user.pk).update(is_absent=absent)
        user.is_absent = absent
        audit_record(actor=actor, verb=AuditVerb.USER_ABSENT if absent else AuditVerb.USER_PRESENT, target=user,
                     before=before, after={"is_absent": absent})
    return user
