"""Opinions: the draft, signing (stops the clock; the last signature completes the round), corrections.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    OPEN_CLOCK_STATES,
    OUTCOMES_NEEDING_FINDINGS,
    PASSING_OUTCOMES,
    Application,
    Assignment,
    AssignmentStatus,
    Clock,
    Finding,
    IssuedDocument,
    Opinion,
    Outcome,
    PauseRequest,
    ReviewRound,
)
from jointreview.review.services.attachments import _copy_attachments
from jointreview.review.services.common import (
    CONSOLIDATE_TASK,
    _editable_draft,
    _last_event_on,
    _lock_assignment,
    _lock_joint_notice_of,
    _lock_opinion_and_assignment,
    _opinion_snapshot,
    _require_writer,
)
from jointreview.review.services.findings import _open_draft, findings_copy
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError
from jointreview.services.queue import enqueue_after_commit


def opinion_save_draft(*, actor, assignment_id: int, outcome: str = "", summary: str = "") -> Opinion:
    """Create or update the assignment's draft opinion (outcome and summary)."""
    if outcome and outcome not in Outcome.values:
        raise ServiceError(_("Unknown outcome “%(outcome)s”.") % {"outcome": outcome},
                           fields={"outcome": [_("Choose an outcome.")]})
    with transaction.atomic():
        a = _lock_assignment(assignment_id)
        _require_writer(actor, a, _("write the opinion"))
        if a.status not in OPEN_ASSIGNMENT_STATUSES:
            draft = Opinion.objects.select_for_update().filter(assignment=a, state=Opinion.State.DRAFT).first()
            if draft is None or draft.supersedes_id is None:
                raise ConflictError(_("The assignment is %(status)s: its opinion is closed.")
                                    % {"status": a.get_status_display()})
            _editable_draft(actor, draft, _("correct the opinion"))
        else:
            draft = _open_draft(actor, a)
        before = {"outcome": draft.outcome, "summary": draft.summary}
        draft.outcome = outcome
        draft.summary = (summary or "").strip()
        common.full_clean(draft)
        Opinion.objects.filter(pk=draft.pk, state=Opinion.State.DRAFT).update(
            outcome=draft.outcome, summary=draft.summary
        )
        if before != {"outcome": draft.outcome, "summary": draft.summary}:
            audit_record(actor=actor, verb=AuditVerb.OPINION_EDIT, target=draft, before=before,
                         after={"outcome": draft.outcome, "summary": draft.summary}, application=a.application)
    return draft


def opinion_sign(*, actor, opinion_id: int, on: date | None = None) -> Opinion:
    """Sign a draft: immutable afterwards; stops the assignment clock; completes the round if last."""
    on = common.today(on)
    round_completed = False
    with transaction.atomic():
        opinion, a = _lock_opinion_and_assignment(opinion_id)
        if opinion.state != Opinion.State.DRAFT:
            raise ConflictError(_("This opinion is already signed."))
        _editable_draft(actor, opinion, _("sign the opinion"))
        if not opinion.outcome:
            raise ServiceError(_("Choose an outcome (pass / pass with conditions / revise / reject) before signing."))
        findings = list(opinion.findings.all())
        if opinion.outcome in OUTCOMES_NEEDING_FINDINGS and not findings:
            raise ServiceError(_("Signing an empty return is refused: a “revise” or “reject” opinion needs at least "
                                 "one finding."), code="empty_return")
        if opinion.outcome in PASSING_OUTCOMES:
            open_mandatory = [f.number for f in findings if f.mandatory and f.state == Finding.State.OPEN]
            if open_mandatory:
                raise ServiceError(_("A passing opinion cannot leave a mandatory finding open (findings %(numbers)s): "
                                     "close them or choose “revise”.")
                                   % {"numbers": ", ".join(str(n) for n in open_mandatory)}, code="mandatory_open")
        now = timezone.now()
        signed = Opinion.objects.filter(pk=opinion.pk, state=Opinion.State.DRAFT).update(
            state=Opinion.State.SIGNED, signed_by=actor, signed_at=now
        )
        if signed != 1:  # pragma: no cover - the row is locked
            raise ConflictError(_("This opinion is already signed."))
        opinion.state, opinion.signed_by, opinion.signed_at = Opinion.State.SIGNED, actor, now
        audit_record(actor=actor, verb=AuditVerb.OPINION_SIGN, target=opinion,
                     before={"state": Opinion.State.DRAFT}, after=_opinion_snapshot(opinion),
                     application=a.application, note=opinion.correction_reason)
        if opinion.supersedes_id is None:
            moved = Assignment.objects.filter(pk=a.pk, status__in=OPEN_ASSIGNMENT_STATUSES).update(
                status=AssignmentStatus.SIGNED
            )
            if moved != 1:  # pragma: no cover
                raise ConflictError(_("The assignment changed meanwhile; reload and try again."))
            audit_record(actor=actor, verb=AuditVerb.ASSIGNMENT_SIGNED, target=a, before={"status": a.status},
                         after={"status": AssignmentStatus.SIGNED}, application=a.application)
            a.status = AssignmentStatus.SIGNED
            _stop_assignment_clock(actor, a, on)
            round_completed = _complete_round_if_last(actor, a.round_id)
        else:
            rnd = ReviewRound.objects.get(pk=a.round_id)
            round_completed = rnd.completed_at is not None  # a correction: rebuild the draft notice
        if round_completed:
            enqueue_after_commit(CONSOLIDATE_TASK, round_id=a.round_id)
    return opinion


def _stop_assignment_clock(actor, a: Assignment, on: date) -> None:
    from jointreview.clocks import services as clocks

    PauseRequest.objects.filter(assignment=a, status=PauseRequest.Status.REQUESTED).update(
        status=PauseRequest.Status.REFUSED, decided_at=timezone.now()
    )
    PauseRequest.objects.filter(assignment=a, status=PauseRequest.Status.APPROVED).update(
        status=PauseRequest.Status.ENDED
    )
    if a.clock_id is None:
        return
    clock = Clock.objects.get(pk=a.clock_id)
    if clock.state in OPEN_CLOCK_STATES:
        clocks.clock_stop(clock=clock, on=max(on, _last_event_on(clock) or on), actor=actor)


def _complete_round_if_last(actor, round_id: int) -> bool:
    """Under a lock on the round row: was this the last open assignment? Then complete the round."""
    rnd = ReviewRound.objects.select_for_update().get(pk=round_id)
    if rnd.completed_at is not None:
        return False
    still_open = Assignment.objects.filter(round_id=round_id, status__in=OPEN_ASSIGNMENT_STATUSES).exists()
    if still_open:
        return False
    now = timezone.now()
    ReviewRound.objects.filter(pk=round_id, completed_at__isnull=True).update(completed_at=now)
    audit_record(actor=actor, verb=AuditVerb.ROUND_COMPLETE, target=rnd, after={"completed_at": now},
                 application=Application.objects.get(pk=rnd.application_id))
    return True


def opinion_correct(*, actor, opinion_id: int, reason: str) -> Opinion:
    """After signing: a new draft version superseding the signed one (findings copied); needs a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("A correction needs a reason."))
    with transaction.atomic():
        old, a = _lock_opinion_and_assignment(opinion_id)
        _require_writer(actor, a, _("correct the opinion"))
        if old.state != Opinion.State.SIGNED:
            raise ConflictError(_("Only a signed opinion is corrected; edit the draft instead."))
        if Opinion.objects.filter(supersedes=old).exists():
            raise ConflictError(_("This version was already corrected; correct the latest version."))
        if Opinion.objects.filter(assignment=a, state=Opinion.State.DRAFT).exists():
            raise ConflictError(_("A correction of this opinion is already in progress."))
        notice = _lock_joint_notice_of(a.round_id)  # against notice_issue at the same moment
        if notice is not None and notice.state == IssuedDocument.State.ISSUED:
            raise ConflictError(_("The joint notice of this round is issued: the opinion can no longer be corrected."))
        version = (a.opinions.aggregate(m=Max("version"))["m"] or 0) + 1
        new = Opinion(
            assignment=a, version=version, outcome=old.outcome, summary=old.summary, author=actor,
            supersedes=old, correction_reason=reason,
        )
        common.full_clean(new, exclude=["summary"])  # copied: a summary from before the limits still corrects
        new.save()
        findings_copy(old.findings.order_by("number"), new)
        copied = _copy_attachments(old, new)
        audit_record(actor=actor, verb=AuditVerb.OPINION_CORRECT, target=new, before=_opinion_snapshot(old),
                     after={"version": version, "supersedes": old.pk, "attachments": copied},
                     application=a.application, note=reason)
    return new
