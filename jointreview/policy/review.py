"""Assignments, opinions, findings, pauses and attachments: each agency on its own portion.

- an agency member views its own agency's assignments: rule (same organization) AND the guardian
  grant ``view_assignment`` given to the agency's group when the assignment was made;
- writing (draft, findings, attachments, sign, correct, request a pause) needs the grant
  ``review_assignment`` and the rule: the acting reviewer (A, or B while A is absent) or the lead;
- assigning reviewers and marking presence: the agency's lead;
- opinions: the agency sees its own (drafts included); the centre reads all (never writes); the
  owner sees a signed opinion only once the round's joint notice is ISSUED, never a draft; another
  agency only what an issued joint notice prints (the notice PDF, policy/issued.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    Assignment,
    ClockState,
    IssuedDocument,
    IssuedKind,
    Opinion,
    OpinionAttachment,
    PauseRequest,
)

from .core import (
    authenticated,
    fetch_visible,
    granted_q,
    has_grant,
    is_agency_member,
    is_centre,
    is_owner_of,
    not_found,
)


def can_view_assignment(user, a: Assignment) -> bool:
    if is_centre(user):
        return True
    return is_agency_member(user, a.agency_id) and has_grant(user, "view_assignment", a)


def is_acting_reviewer(user, a: Assignment) -> bool:
    acting = a.acting_reviewer
    return acting is not None and acting.pk == user.pk


def can_review_assignment(user, a: Assignment) -> bool:
    """Write the assignment's opinion: the acting reviewer (A, or B while A is absent) or the lead."""
    if not (is_agency_member(user, a.agency_id) and has_grant(user, "review_assignment", a)):
        return False
    return bool(user.is_agency_lead) or is_acting_reviewer(user, a)


def _not_a_writer() -> PermissionDenied:
    return PermissionDenied(_("Only the acting reviewer (A, or B while A is absent) or the agency lead may do this."))


def can_lead_agency(user, agency_id: int) -> bool:
    """Assign reviewers, mark members absent: the agency's lead."""
    return is_agency_member(user, agency_id) and bool(user.is_agency_lead)


def can_lead_assignment(user, a: Assignment) -> bool:
    return can_lead_agency(user, a.agency_id) and has_grant(user, "view_assignment", a)


def can_use_inbox(user) -> bool:
    return authenticated(user) and bool(user.is_agency) and user.organization_id is not None


def _assignment_qs() -> QuerySet[Assignment]:
    return Assignment.objects.select_related(
        "application__project__owner", "application__workflow", "agency", "clock", "reviewer", "backup", "round",
        "previous",
    )


def access_assignment(user, assignment_id, verb: str = "view") -> Assignment:
    """verb: view (the agency's members, the centre), review (acting reviewer or lead), lead."""
    a = fetch_visible(_assignment_qs(), assignment_id, "assignment", lambda a: can_view_assignment(user, a))
    if verb == "review" and not can_review_assignment(user, a):
        raise _not_a_writer()
    if verb == "lead" and not can_lead_assignment(user, a):
        raise PermissionDenied(_("Only the agency lead may do this."))
    return a


def agency_assignments(user) -> QuerySet[Assignment]:
    """The assignments the user's agency holds (rule + grant in one query)."""
    if not can_use_inbox(user):
        return Assignment.objects.none()
    return Assignment.objects.filter(agency_id=user.organization_id).filter(
        granted_q(user, "view_assignment", Assignment)
    )


# --------------------------------------------------------------------------- opinions


def notice_issued(round_id: int | None) -> bool:
    if round_id is None:
        return False
    return IssuedDocument.objects.filter(
        round_id=round_id, kind=IssuedKind.JOINT_NOTICE, state=IssuedDocument.State.ISSUED
    ).exists()


def can_view_opinion(user, op: Opinion) -> bool:
    a = op.assignment
    if not authenticated(user):
        return False
    if is_centre(user):
        return True
    if user.is_agency:
        return can_view_assignment(user, a)
    if user.is_owner and is_owner_of(user, a.application.project.owner_id):
        return op.state == Opinion.State.SIGNED and notice_issued(a.round_id)
    return False


def access_opinion(user, opinion_id, verb: str = "view") -> Opinion:
    op = fetch_visible(
        Opinion.objects.select_related(
            "assignment__application__project", "assignment__agency", "assignment__reviewer",
            "assignment__backup", "signed_by", "author", "supersedes",
        ),
        opinion_id, "opinion", lambda op: can_view_opinion(user, op),
    )
    if verb == "review" and not can_review_assignment(user, op.assignment):
        raise _not_a_writer()
    return op


def readable_opinions(user, a: Assignment) -> QuerySet[Opinion]:
    """The opinions of an assignment the user may read on the assignment page (its agency, the centre)."""
    qs = Opinion.objects.filter(assignment=a)
    if is_centre(user) or can_view_assignment(user, a):
        return qs
    return qs.none()


def access_opinion_attachment(user, attachment_id, verb: str = "view") -> OpinionAttachment:
    """The attachment if the user may read its opinion; ``verb="review"``: may also change it."""
    att = fetch_visible(
        OpinionAttachment.objects.select_related(
            "opinion__assignment__application__project", "opinion__assignment__reviewer",
            "opinion__assignment__backup",
        ),
        attachment_id, "attachment", lambda att: can_view_opinion(user, att.opinion),
    )
    if verb == "review":
        if not can_view_assignment(user, att.opinion.assignment):
            raise not_found("attachment")  # the owner reads, never writes
        if not can_review_assignment(user, att.opinion.assignment):
            raise _not_a_writer()
    return att


# --------------------------------------------------------------------------- pauses


def can_decide_pause(user) -> bool:
    return is_centre(user)


def can_end_pause(user, pr: PauseRequest, assignment: Assignment | None = None) -> bool:
    """End a running pause: the centre, or who may write the assignment (the state the service checks)."""
    return is_centre(user) or can_review_assignment(user, assignment or pr.assignment)


def access_pause(user, pause_id, verb: str = "view") -> PauseRequest:
    """verb: view (who sees the assignment), decide (the centre), end (reviewer, lead, centre)."""
    pr = fetch_visible(
        PauseRequest.objects.select_related(
            "assignment__agency", "assignment__reviewer", "assignment__backup", "assignment__application__project"
        ),
        pause_id, "pause request", lambda pr: can_view_assignment(user, pr.assignment),
    )
    if verb == "decide" and not can_decide_pause(user):
        raise PermissionDenied(_("Only the centre decides on clock pauses."))
    if verb == "end" and not can_end_pause(user, pr):
        raise PermissionDenied(_("Only the reviewer, the agency lead or the centre may end a pause."))
    return pr


# --------------------------------------------------------------------------- per-row actions


@dataclass(frozen=True)
class AssignmentActions:
    """What the assignment page offers this user; each flag from the predicates above and the
    state sets of the models (the services check again when the form is sent)."""

    can_edit: bool
    can_sign: bool
    can_start: bool
    can_correct: bool
    can_assign: bool
    can_pause: bool
    can_end_pause: bool


def assignment_actions(user, a: Assignment, *, draft: Opinion | None, latest_signed: Opinion | None,
                       pauses: list[PauseRequest], notice_is_issued: bool) -> AssignmentActions:
    writer = can_review_assignment(user, a)
    is_open = a.status in OPEN_ASSIGNMENT_STATUSES
    correcting = draft is not None and draft.supersedes_id is not None and not notice_is_issued
    can_edit = writer and ((is_open and latest_signed is None) or correcting)
    active_pause = any(p.status in PauseRequest.ACTIVE_STATUSES for p in pauses)
    running = next((p for p in pauses if p.status == PauseRequest.Status.APPROVED), None)
    return AssignmentActions(
        can_edit=can_edit,
        can_sign=can_edit and draft is not None,
        can_start=writer and is_open and draft is None and latest_signed is None,
        can_correct=writer and latest_signed is not None and draft is None and not notice_is_issued,
        can_assign=can_lead_assignment(user, a) and is_open,
        can_pause=writer and is_open and a.clock_id is not None and a.clock.state == ClockState.RUNNING
        and not active_pause,
        can_end_pause=running is not None and (writer or is_centre(user)),
    )


def inbox_is_lead(user) -> bool:
    return can_use_inbox(user) and bool(user.is_agency_lead)

