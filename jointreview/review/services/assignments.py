"""Assignments: opening one (acceptance and resubmission both do it here), who works on it (reviewer A
and backup B, AB角), members' presence.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.services import audit_build, audit_record, audit_save, notify
from jointreview.audit.verbs import AuditVerb
from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    Application,
    ApplicationItem,
    Assignment,
    AssignmentStatus,
    AuditEvent,
    Clock,
    Item,
    ReviewRound,
    TimeUnit,
)
from jointreview.review.services.common import _lock_assignment, _require_lead
from jointreview.services.errors import ConflictError, ServiceError
from projects.models import AGENCY_ROLES, User


def assignment_clock_params(items: list[Item]) -> dict[str, Any]:
    """The clock of an assignment: the item with the longest promised limit leads (its limit and unit,
    resubmission policy, warning thresholds; the centre's defaults where the item sets none)."""

    def working_equiv(it: Item) -> float:
        return it.promised_limit_value * (5 / 7 if it.promised_limit_unit == TimeUnit.NATURAL else 1)

    lead = max(items, key=lambda it: (working_equiv(it), it.pk))
    return {
        "limit_value": lead.promised_limit_value, "limit_unit": lead.promised_limit_unit,
        "policy": lead.resubmission_policy,
        "warn_days": lead.warn_days if lead.warn_days is not None else settings.JR_WARN_DAYS,
        "warn_percent": lead.warn_percent if lead.warn_percent is not None else settings.JR_WARN_PERCENT,
    }


def assignment_open(*, actor, application: Application, round: ReviewRound, agency, items: list[ApplicationItem],
                    on: date, clock_params: dict[str, Any], portion: list, reads_all: bool,
                    previous: Assignment | None = None) -> Assignment:
    """One agency's assignment in a round (``assignments_open`` for one), its audit events saved."""
    audit: list[AuditEvent] = []
    [a] = assignments_open(actor=actor, application=application, round=round, on=on, audit=audit, openings=[
        {"agency": agency, "items": items, "clock_params": clock_params, "portion": portion,
         "reads_all": reads_all, "previous": previous}])
    audit_save(audit)
    return a


def assignments_open(*, actor, application: Application, round: ReviewRound, on: date, openings: list[dict],
                     audit: list[AuditEvent], started: list[tuple[Clock, AuditEvent]] | None = None) -> list[Assignment]:
    """Agencies' assignments in a round, each with its clock started on ``on`` (its due date mirrored
    onto the assignment) and its items. ``openings``: one dict per agency with ``agency``, ``items``,
    ``clock_params`` (``assignment_clock_params``), ``portion``, ``reads_all`` and optionally
    ``previous`` (the agency's assignment of the round before). Round 1 (acceptance) and every next
    round (resubmission) open assignments here; the caller grants access (``assignment_grants``) and
    dispatches the agencies' notifications on commit.

    One insert per table whatever the number of agencies (clocks, start events, assignments, their
    items); the audit events (``clock.start`` then ``assignment.create`` for each) are appended to
    ``audit``, unsaved, for the caller to save with its own (``audit_save``). Called inside the
    caller's transaction, with the application locked and ``round``, the agencies and the items just
    read or created in it: the foreign keys are not re-checked one by one, and the database enforces
    one assignment per agency and round. ``started``: the clocks, already started on ``on`` by the
    caller with ``clocks_start_new`` from each opening's ``clock_params`` (with their unsaved
    ``clock.start`` audit events), one per opening (the accept starts the application's clock in the
    same insert); by default they are started here."""
    if started is None:
        from jointreview.clocks import services as clocks

        clock_audit: list[AuditEvent] = []
        new = clocks.clocks_start_new(terms=[{"kind": Clock.Kind.ASSIGNMENT, **o["clock_params"]} for o in openings],
                                      on=on, actor=actor, application=application, audit=clock_audit)
        started = list(zip(new, clock_audit, strict=True))
    rows = [_new_assignment(application, round, o, clock) for o, (clock, _e) in zip(openings, started, strict=True)]
    Assignment.objects.bulk_create(rows)
    Assignment.items.through.objects.bulk_create(
        Assignment.items.through(assignment_id=a.pk, applicationitem_id=ai.pk)
        for a, o in zip(rows, openings, strict=True) for ai in o["items"]
    )
    for a, o, (clock, start) in zip(rows, openings, started, strict=True):
        previous = o.get("previous")
        audit.append(start)
        audit.append(audit_build(
            actor=actor, verb=AuditVerb.ASSIGNMENT_CREATE, target=a, application=application,
            after={"round": round.number, "agency": a.agency_id, "items": [ai.item.code for ai in o["items"]],
                   "limit": clock.limit_value, "policy": clock.policy, "due_date": clock.due_date,
                   "previous": previous.pk if previous else None}))
    return rows


def _new_assignment(application: Application, round: ReviewRound, opening: dict, clock: Clock) -> Assignment:
    previous = opening.get("previous")
    reviewer = previous.reviewer if previous else None
    a = Assignment(
        application=application, round=round, round_number=round.number, agency=opening["agency"], clock=clock,
        due_date=clock.due_date, portion=opening["portion"], reads_all=opening["reads_all"], previous=previous,
        reviewer=reviewer, backup=previous.backup if previous else None,
        status=AssignmentStatus.IN_REVIEW if reviewer else AssignmentStatus.UNASSIGNED,
    )
    a.full_clean(exclude=["application", "round", "agency", "clock", "previous", "reviewer", "backup"],
                 validate_unique=False, validate_constraints=False)
    return a


def assignment_grants(a: Assignment) -> list[tuple[str, Any, Any]]:
    """What the agency of an assignment may do with it and see of its application (for ``grant_many``);
    the documents of its portion are granted by acceptance (jointreview/policy/portions.py)."""
    return [("review_assignment", a.agency, a), ("view_assignment", a.agency, a),
            ("view_application", a.agency, a.application)]


def assignment_assign(*, actor, assignment_id: int, reviewer_id: int, backup_id: int | None = None) -> Assignment:
    """The agency lead sets reviewer A and backup B (both members of the agency); reassigning is allowed."""
    with transaction.atomic():
        a = _lock_assignment(assignment_id)
        _require_lead(actor, a.agency_id, _("assign reviewers"))
        if a.status not in OPEN_ASSIGNMENT_STATUSES:
            raise ConflictError(_("The assignment is %(status)s: reviewers can no longer change.")
                                % {"status": a.get_status_display()})
        members = {
            u.pk: u
            for u in User.objects.filter(
                pk__in=[x for x in (reviewer_id, backup_id) if x], organization_id=a.agency_id,
                role__in=AGENCY_ROLES, is_active=True,
            )
        }
        reviewer = members.get(reviewer_id)
        if reviewer is None:
            raise ServiceError(_("The reviewer (A) must be an active member of this agency."))
        backup = None
        if backup_id:
            backup = members.get(backup_id)
            if backup is None:
                raise ServiceError(_("The backup (B) must be an active member of this agency."))
            if backup.pk == reviewer.pk:
                raise ServiceError(_("The backup (B) must be another person than the reviewer (A)."))
        before = {"status": a.status, "reviewer": a.reviewer_id, "backup": a.backup_id}
        updated = Assignment.objects.filter(pk=a.pk, status__in=OPEN_ASSIGNMENT_STATUSES).update(
            reviewer=reviewer, backup=backup, status=AssignmentStatus.IN_REVIEW
        )
        if updated != 1:  # pragma: no cover - the row is locked
            raise ConflictError(_("The assignment changed meanwhile; reload and try again."))
        a.reviewer, a.backup, a.status = reviewer, backup, AssignmentStatus.IN_REVIEW
        audit_record(
            actor=actor, verb=AuditVerb.ASSIGNMENT_REASSIGN if before["reviewer"] else AuditVerb.ASSIGNMENT_ASSIGN, target=a,
            before=before, after={"status": a.status, "reviewer": reviewer.pk, "backup": backup.pk if backup else None},
            application=a.application,
        )
        for who, role in ((reviewer, "A"), (backup, "B")):
            if who is not None:
                notify(key=f"assignment-{a.pk}-assigned-{role}-{who.pk}-{secrets.token_hex(4)}",
                       kind=NotificationKind.ASSIGNMENT_ASSIGNED, organization_id=a.agency_id, user=who,
                       params={"role": role, "number": a.application.number},
                       application=a.application, assignment=a)
    return a


def user_mark_absent(*, actor, user_id: int, absent: bool) -> User:
    """The lead marks a member of the agency absent (B acts for A) or present again."""
    with transaction.atomic():
        try:
            user = User.objects.select_for_update().get(pk=user_id)
        except User.DoesNotExist:
            raise ServiceError(_("No such user.")) from None
        _require_lead(actor, user.organization_id or -1, "mark members absent")
        if user.role not in AGENCY_ROLES:
            raise ServiceError(_("Only agency members can be marked absent."))
        if user.is_absent == absent:
            return user
        before = {"is_absent": user.is_absent}
        User.objects.filter(pk=user.pk).update(is_absent=absent)
        user.is_absent = absent
        audit_record(actor=actor, verb=AuditVerb.USER_ABSENT if absent else AuditVerb.USER_PRESENT, target=user,
                     before=before, after={"is_absent": absent})
    return user
