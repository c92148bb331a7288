"""What the review services share: row locks, who may write, the application clock.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    OPEN_CLOCK_STATES,
    Application,
    ApplicationStatus,
    Assignment,
    Clock,
    ClockState,
    IssuedDocument,
    IssuedKind,
    Opinion,
    PauseReason,
    PauseRequest,
)
from jointreview.policy import (
    can_lead_agency,
    can_review_assignment,
)
from jointreview.services.errors import ConflictError, PermissionDeniedError, ServiceError

CONSOLIDATE_TASK = "jointreview.consolidate_round"


def _lock_pause(pause_id: int) -> PauseRequest:
    try:
        return PauseRequest.objects.select_for_update().get(pk=pause_id)
    except PauseRequest.DoesNotExist:
        raise ServiceError(_("No such pause request."), code="not_found") from None


def _lock_assignment(assignment_id: int) -> Assignment:
    try:
        return (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("application__project", "application__workflow", "agency", "reviewer", "backup", "round")
            .get(pk=assignment_id)
        )
    except Assignment.DoesNotExist:
        raise ServiceError(_("No such assignment."), code="not_found") from None


def _lock_opinion(opinion_id: int) -> Opinion:
    try:
        return Opinion.objects.select_for_update(of=("self",)).select_related("assignment").get(pk=opinion_id)
    except Opinion.DoesNotExist:
        raise ServiceError(_("No such opinion."), code="not_found") from None


# One lock order for every review service: the assignment first, then its opinion, then a finding,
# an attachment or a pause request of it. (Signing took the opinion first while editing the draft took
# the assignment first, and deciding a pause took the pause request first while signing refuses open
# pause requests after the assignment: a reviewer's edit and a lead's signature, or a pause decided
# while the opinion is signed, waited on each other - a deadlock, broken by PostgreSQL with an error.)


def _lock_opinion_and_assignment(opinion_id: int) -> tuple[Opinion, Assignment]:
    """The opinion and its assignment, both locked, the assignment first (the order above)."""
    assignment_id = Opinion.objects.filter(pk=opinion_id).values_list("assignment_id", flat=True).first()
    if assignment_id is None:
        raise ServiceError(_("No such opinion."), code="not_found")
    a = _lock_assignment(assignment_id)
    opinion = _lock_opinion(opinion_id)
    opinion.assignment = a
    return opinion, a


def _lock_pause_and_assignment(pause_id: int) -> tuple[PauseRequest, Assignment]:
    """The pause request and its assignment, both locked, the assignment first (the order above)."""
    assignment_id = PauseRequest.objects.filter(pk=pause_id).values_list("assignment_id", flat=True).first()
    if assignment_id is None:
        raise ServiceError(_("No such pause request."), code="not_found")
    a = _lock_assignment(assignment_id)
    return _lock_pause(pause_id), a


def _require_writer(actor, assignment: Assignment, what: str) -> None:
    if not can_review_assignment(actor, assignment):
        raise PermissionDeniedError(
            _("Only the acting reviewer (A, or B while A is absent) or the lead of %(agency)s may %(what)s.")
            % {"agency": assignment.agency, "what": what}
        )


def _require_lead(actor, agency_id: int, what: str) -> None:
    if not can_lead_agency(actor, agency_id):
        raise PermissionDeniedError(_("Only the lead of this agency may %(what)s.") % {"what": what})


def latest_signed(assignment_id: int) -> Opinion | None:
    return (
        Opinion.objects.filter(assignment_id=assignment_id, state=Opinion.State.SIGNED).order_by("-version").first()
    )


def _joint_notice_of(round_id: int) -> IssuedDocument | None:
    return IssuedDocument.objects.filter(round_id=round_id, kind=IssuedKind.JOINT_NOTICE).first()


def _lock_joint_notice_of(round_id: int) -> IssuedDocument | None:
    """The round's joint notice, its row locked for this transaction (None while there is none).
    Whoever changes an opinion of the round after checking that the notice is not issued holds this
    lock, as ``notice_issue`` does while it checks that no correction is a draft: without it the two
    checks pass at once (write skew) and a notice is issued beside a correction nobody can sign."""
    return (
        IssuedDocument.objects.select_for_update(of=("self",))
        .filter(round_id=round_id, kind=IssuedKind.JOINT_NOTICE).first()
    )


def _opinion_snapshot(opinion: Opinion) -> dict[str, Any]:
    return {"state": opinion.state, "outcome": opinion.outcome, "version": opinion.version}


def _editable_draft(actor, opinion: Opinion, what: str) -> Assignment:
    """The checks shared by every edit of an opinion: a draft, by a writer, while allowed."""
    assignment = opinion.assignment
    if opinion.state != Opinion.State.DRAFT:
        raise ConflictError(_("A signed opinion cannot be changed; make a correction (a new version) instead."))
    _require_writer(actor, assignment, what)
    if opinion.supersedes_id is None:
        if assignment.status not in OPEN_ASSIGNMENT_STATUSES:
            raise ConflictError(_("The assignment is %(status)s: its opinion is closed.")
                                % {"status": assignment.get_status_display()})
    else:
        notice = _joint_notice_of(assignment.round_id)
        if notice is not None and notice.state == IssuedDocument.State.ISSUED:
            raise ConflictError(_("The joint notice of this round is issued: the opinion can no longer be corrected."))
    return assignment


def _last_event_on(clock: Clock) -> date | None:
    last = clock.events.order_by("-seq").values_list("on", flat=True).first()
    return last


def _application_clock(actor, app: Application, status: str, on: date) -> None:
    from jointreview.clocks import services as clocks

    if not app.clock_id:
        return
    clock = Clock.objects.get(pk=app.clock_id)
    on = max(on, _last_event_on(clock) or on)
    if status == ApplicationStatus.REVISION and clock.state == ClockState.RUNNING:
        clocks.clock_pause(clock=clock, on=on, reason=PauseReason.REVISION,
                           reason_text="建设单位修改复审", actor=actor)
    elif status in (ApplicationStatus.REJECTED, ApplicationStatus.APPROVED) and clock.state in OPEN_CLOCK_STATES:
        clocks.clock_stop(clock=clock, on=on, actor=actor)
    elif status == ApplicationStatus.ACCEPTED and clock.state == ClockState.PAUSED:
        clocks.clock_resume(clock=clock, on=on, actor=actor)
