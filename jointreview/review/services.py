"""Review by the agencies: who works on an assignment, opinions and findings, clock pauses, the
consolidated joint notice of a round, answers and resubmission, and the approval certificate.

Decisions (also in the README's review section):

- **Who writes an opinion**: the acting reviewer of the assignment (A, or B while A is marked
  absent) or the lead of the assignment's agency; only on a draft; only while the assignment is
  open. A correction after signing is a new draft version (``supersedes`` + a reason) which may be
  edited while the round's joint notice is not yet issued.
- **Signing** refuses a revise/reject outcome without findings ("signing an empty return") and a
  passing outcome that leaves a mandatory finding open. Signing stops the assignment clock and,
  under a lock on the round row, decides whether this was the last open assignment of the round;
  if so the round is completed and the consolidation task is enqueued on commit.
- **Application status when the centre issues a joint notice**: any 不予通过 (reject) outcome ->
  REJECTED (final: 不予许可 ends the case; the application clock stops); else any 修改后复审
  (revise) -> REVISION (the application clock pauses for the revision, docs/domain.md §4.2.3); else it stays
  ACCEPTED and is ready for a certificate. APPROVED is never automatic.
- **Next round**: only agencies whose latest outcome was *revise*; a new Assignment with
  ``previous`` set, the same A/B reviewers, a clock per the items' resubmission policy (resume:
  the remaining days of the previous clock; restart: the full promised limit). Carried findings:
  the previous opinion's OPEN findings are copied (``carried_from``, with the owner's answer) into
  the new draft when the reviewer opens it (first ``opinion_save_draft``/``finding_add``); the
  reviewer closes or keeps each. Passed agencies carry over without a new assignment.
- **Certificate**: every agency's latest assignment has a passing signed opinion and every 容缺
  deferral is fulfilled; kind CERTIFICATE, or ACCEPTANCE_OPINION for joint acceptance workflows.
- **Attachments** (意见附件): added/removed only on a draft, by the same writers as findings;
  checked with intake's validators (pdf, jpg, png, dwg, zip by content); stored under
  ``opinions/<sha256[:2]>/<sha256>``; a correction copies the rows (same stored files); the joint
  notice lists their names per opinion. The owner downloads them only once the notice is issued.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from jointreview.audit.services import audit_record
from jointreview.documents.services import new_verification_code, render_after_commit, verify_url
from jointreview.limits import NOTE_MAX
from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    OUTCOMES_NEEDING_FINDINGS,
    PASSING_OUTCOMES,
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Clock,
    ClockState,
    Deferral,
    Finding,
    FindingTemplate,
    IssuedDocument,
    IssuedKind,
    Notification,
    Opinion,
    OpinionAttachment,
    Outcome,
    PauseReason,
    PauseRequest,
    ResubmissionPolicy,
    ReviewRound,
    TimeUnit,
    WorkflowKind,
)
from jointreview.policy import (
    can_cite_version,
    can_end_pause,
    can_lead_agency,
    can_review_assignment,
    grant_many,
)
from jointreview.services import common
from jointreview.services.errors import ConflictError, PermissionDeniedError, ServiceError
from jointreview.services.queue import enqueue_after_commit
from projects.models import AGENCY_ROLES, DocumentVersion, Organization, OrganizationKind, Speciality, User

log = logging.getLogger(__name__)

CONSOLIDATE_TASK = "jointreview.consolidate_round"


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _centre_org_ids() -> list[int]:
    return list(Organization.objects.filter(kind=OrganizationKind.CENTRE, is_active=True).values_list("pk", flat=True))


def _lock_assignment(assignment_id: int) -> Assignment:
    try:
        return (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("application__project", "application__workflow", "agency", "reviewer", "backup", "round")
            .get(pk=assignment_id)
        )
    except Assignment.DoesNotExist:
        raise ServiceError("no such assignment", code="not_found") from None


def _lock_application(application_id: int) -> Application:
    """The application row locked (only that row), with its project, owner and workflow."""
    try:
        return (
            Application.objects.select_for_update(of=("self",)).select_related("project__owner", "workflow")
            .get(pk=application_id)
        )
    except Application.DoesNotExist:
        raise ServiceError("no such application", code="not_found") from None


def _lock_opinion(opinion_id: int) -> Opinion:
    try:
        return Opinion.objects.select_for_update(of=("self",)).select_related("assignment").get(pk=opinion_id)
    except Opinion.DoesNotExist:
        raise ServiceError("no such opinion", code="not_found") from None


def _require_writer(actor, assignment: Assignment, what: str) -> None:
    if not can_review_assignment(actor, assignment):
        raise PermissionDeniedError(
            f"only the acting reviewer (A, or B while A is absent) or the lead of {assignment.agency} may {what}"
        )


def _require_lead(actor, agency_id: int, what: str) -> None:
    if not can_lead_agency(actor, agency_id):
        raise PermissionDeniedError(f"only the lead of this agency may {what}")


def latest_signed(assignment_id: int) -> Opinion | None:
    return (
        Opinion.objects.filter(assignment_id=assignment_id, state=Opinion.State.SIGNED).order_by("-version").first()
    )


def _joint_notice_of(round_id: int) -> IssuedDocument | None:
    return IssuedDocument.objects.filter(round_id=round_id, kind=IssuedKind.JOINT_NOTICE).first()


def _opinion_snapshot(opinion: Opinion) -> dict[str, Any]:
    return {"state": opinion.state, "outcome": opinion.outcome, "version": opinion.version}


def _editable_draft(actor, opinion: Opinion, what: str) -> Assignment:
    """The checks shared by every edit of an opinion: a draft, by a writer, while allowed."""
    assignment = opinion.assignment
    if opinion.state != Opinion.State.DRAFT:
        raise ConflictError("a signed opinion cannot be changed; make a correction (a new version) instead")
    _require_writer(actor, assignment, what)
    if opinion.supersedes_id is None:
        if assignment.status not in OPEN_ASSIGNMENT_STATUSES:
            raise ConflictError(f"the assignment is {assignment.get_status_display()}: its opinion is closed")
    else:
        notice = _joint_notice_of(assignment.round_id)
        if notice is not None and notice.state == IssuedDocument.State.ISSUED:
            raise ConflictError("the joint notice of this round is issued: the opinion can no longer be corrected")
    return assignment


# ---------------------------------------------------------------------------
# who works on it (AB角)
# ---------------------------------------------------------------------------


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
            actor=actor, verb="assignment.reassign" if before["reviewer"] else "assignment.assign", target=a,
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
        audit_record(actor=actor, verb="user.absent" if absent else "user.present", target=user,
                     before=before, after={"is_absent": absent})
    return user


# ---------------------------------------------------------------------------
# opinions and findings
# ---------------------------------------------------------------------------


def _carry_findings(opinion: Opinion, assignment: Assignment) -> int:
    """Copy the previous round's OPEN findings (with the owner's answers) into a new draft."""
    if not assignment.previous_id:
        return 0
    prev = latest_signed(assignment.previous_id)
    if prev is None:
        return 0
    n = 0
    for f in prev.findings.filter(state=Finding.State.OPEN).order_by("number"):
        n += 1
        Finding.objects.create(
            opinion=opinion, number=n, speciality_id=f.speciality_id, document_version_id=f.document_version_id,
            sheet=f.sheet, standard=f.standard, clause=f.clause, mandatory=f.mandatory, text=f.text,
            state=Finding.State.OPEN, carried_from=f, response=f.response, response_text=f.response_text,
            responded_by_id=f.responded_by_id, responded_at=f.responded_at,
        )
    return n


def _open_draft(actor, assignment: Assignment) -> Opinion:
    """The assignment's draft opinion, created (with carried findings) on first use."""
    draft = Opinion.objects.select_for_update().filter(assignment=assignment, state=Opinion.State.DRAFT).first()
    if draft is not None:
        return draft
    if Opinion.objects.filter(assignment=assignment, state=Opinion.State.SIGNED).exists():
        raise ConflictError("the opinion of this assignment is signed; make a correction (a new version) instead")
    version = (assignment.opinions.aggregate(m=Max("version"))["m"] or 0) + 1
    draft = Opinion(assignment=assignment, version=version, author=actor)
    common.full_clean(draft)
    draft.save()
    carried = _carry_findings(draft, assignment)
    audit_record(actor=actor, verb="opinion.draft", target=draft, after={"version": version, "carried": carried},
                 application=assignment.application)
    return draft


def opinion_save_draft(*, actor, assignment_id: int, outcome: str = "", summary: str = "") -> Opinion:
    """Create or update the assignment's draft opinion (outcome and summary)."""
    if outcome and outcome not in Outcome.values:
        raise ServiceError(f"unknown outcome {outcome!r}")
    with transaction.atomic():
        a = _lock_assignment(assignment_id)
        _require_writer(actor, a, "write the opinion")
        if a.status not in OPEN_ASSIGNMENT_STATUSES:
            draft = Opinion.objects.select_for_update().filter(assignment=a, state=Opinion.State.DRAFT).first()
            if draft is None or draft.supersedes_id is None:
                raise ConflictError(f"the assignment is {a.get_status_display()}: its opinion is closed")
            _editable_draft(actor, draft, "correct the opinion")
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
            audit_record(actor=actor, verb="opinion.edit", target=draft, before=before,
                         after={"outcome": draft.outcome, "summary": draft.summary}, application=a.application)
    return draft


_FINDING_FIELDS = ("text", "standard", "clause", "mandatory", "sheet", "speciality_id", "document_version_id", "state")
_FINDING_TEXT_FIELDS = ("text", "standard", "clause", "sheet", "response_text")


def _clean_finding_values(assignment: Assignment, values: dict[str, Any], actor) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in _FINDING_FIELDS:
            raise ServiceError(f"a finding has no field {key!r}")
        if key in ("text", "standard", "clause", "sheet"):
            value = (value or "").strip()
        out[key] = value
    if "text" in out and not out["text"]:
        raise ServiceError("a finding needs its text")
    if out.get("document_version_id"):
        # only a version the reviewer may read: the application's documents within the agency's portion
        try:
            version_id = int(out["document_version_id"])
        except (TypeError, ValueError):
            raise ServiceError("the document version must be a number", code="invalid") from None
        if not can_cite_version(actor, assignment, version_id):
            raise ServiceError("the document version is not one of this application's documents that you "
                               "may read (your portion)", code="invalid")
        out["document_version_id"] = version_id
    if out.get("speciality_id") and not Speciality.objects.filter(pk=out["speciality_id"]).exists():
        raise ServiceError("no such speciality")
    if "state" in out and out["state"] not in Finding.State.values:
        raise ServiceError(f"unknown finding state {out['state']!r}")
    if "mandatory" in out:
        out["mandatory"] = bool(out["mandatory"])
    return out


def _default_speciality_id(assignment: Assignment) -> int | None:
    return (
        assignment.items.exclude(item__speciality__isnull=True).values_list("item__speciality_id", flat=True).first()
    )


def finding_add(
    *, actor, assignment_id: int | None = None, opinion_id: int | None = None, template_id: int | None = None,
    **values,
) -> Finding:
    """Add a finding to the draft (of the assignment, or the given draft), optionally from the library."""
    with transaction.atomic():
        if opinion_id is not None:
            opinion = _lock_opinion(opinion_id)
            a = _lock_assignment(opinion.assignment_id)
            opinion.assignment = a
            _editable_draft(actor, opinion, "add findings")
        else:
            a = _lock_assignment(assignment_id)
            _require_writer(actor, a, "add findings")
            if a.status not in OPEN_ASSIGNMENT_STATUSES:
                raise ConflictError(f"the assignment is {a.get_status_display()}: its opinion is closed")
            opinion = _open_draft(actor, a)
            opinion.assignment = a
        if template_id:
            tpl = FindingTemplate.objects.filter(pk=template_id).first()
            if tpl is None or (tpl.agency_id and tpl.agency_id != a.agency_id):
                raise ServiceError("no such finding template in your library")
            base = {"text": tpl.text, "standard": tpl.standard, "clause": tpl.clause, "mandatory": tpl.mandatory,
                    "speciality_id": tpl.speciality_id}
            base.update({k: v for k, v in values.items() if v not in (None, "")})
            values = base
        clean = _clean_finding_values(a, values, actor)
        if not clean.get("text"):
            raise ServiceError("a finding needs its text")
        clean.setdefault("speciality_id", _default_speciality_id(a))
        clean.pop("state", None)
        number = (opinion.findings.aggregate(m=Max("number"))["m"] or 0) + 1
        finding = Finding(opinion=opinion, number=number, **clean)
        common.full_clean(finding)
        finding.save()
        audit_record(actor=actor, verb="finding.add", target=finding, after={"number": number, **clean},
                     application=a.application)
    return finding


def _lock_finding_for_edit(actor, finding_id: int, what: str) -> tuple[Finding, Opinion, Assignment]:
    try:
        finding = Finding.objects.select_for_update().get(pk=finding_id)
    except Finding.DoesNotExist:
        raise ServiceError("no such finding", code="not_found") from None
    opinion = _lock_opinion(finding.opinion_id)
    a = _lock_assignment(opinion.assignment_id)
    opinion.assignment = a
    _editable_draft(actor, opinion, what)
    return finding, opinion, a


def finding_update(*, actor, finding_id: int, **values) -> Finding:
    """Change a finding of a draft; ``state="closed"`` closes a carried finding the owner has fixed."""
    with transaction.atomic():
        finding, _opinion, a = _lock_finding_for_edit(actor, finding_id, "edit findings")
        clean = _clean_finding_values(a, values, actor)
        before = {k: getattr(finding, k) for k in clean}
        for k, v in clean.items():
            setattr(finding, k, v)
        # a text written before the limits existed does not stop closing the finding or editing another field
        common.full_clean(finding, exclude=[f for f in _FINDING_TEXT_FIELDS if f not in clean])
        finding.save(update_fields=[k.removesuffix("_id") if k.endswith("_id") else k for k in clean] or None)
        audit_record(actor=actor, verb="finding.edit", target=finding, before=before, after=clean,
                     application=a.application)
    return finding


def finding_remove(*, actor, finding_id: int) -> None:
    """Remove a finding from a draft (carried findings are closed, not removed); renumbers the rest."""
    with transaction.atomic():
        finding, opinion, a = _lock_finding_for_edit(actor, finding_id, "remove findings")
        if finding.carried_from_id:
            raise ConflictError("a finding carried from the previous round is closed (or kept open), not removed")
        number = finding.number
        snapshot = {"number": number, "text": finding.text}
        finding.delete()
        for f in opinion.findings.filter(number__gt=number).order_by("number"):
            Finding.objects.filter(pk=f.pk).update(number=f.number - 1)
        audit_record(actor=actor, verb="finding.remove", target=opinion, before=snapshot, application=a.application)


def opinion_sign(*, actor, opinion_id: int, on: date | None = None) -> Opinion:
    """Sign a draft: immutable afterwards; stops the assignment clock; completes the round if last."""
    on = common.today(on)
    round_completed = False
    with transaction.atomic():
        opinion = _lock_opinion(opinion_id)
        a = _lock_assignment(opinion.assignment_id)
        opinion.assignment = a
        if opinion.state != Opinion.State.DRAFT:
            raise ConflictError("this opinion is already signed")
        _editable_draft(actor, opinion, "sign the opinion")
        if not opinion.outcome:
            raise ServiceError("choose an outcome (pass / pass with conditions / revise / reject) before signing")
        findings = list(opinion.findings.all())
        if opinion.outcome in OUTCOMES_NEEDING_FINDINGS and not findings:
            raise ServiceError(
                "signing an empty return is refused: a 'revise' or 'reject' opinion needs at least one finding"
            )
        if opinion.outcome in PASSING_OUTCOMES:
            open_mandatory = [f.number for f in findings if f.mandatory and f.state == Finding.State.OPEN]
            if open_mandatory:
                raise ServiceError(
                    "a passing opinion cannot leave a mandatory finding open (finding "
                    + ", ".join(str(n) for n in open_mandatory) + "); close them or choose 'revise'"
                )
        now = timezone.now()
        signed = Opinion.objects.filter(pk=opinion.pk, state=Opinion.State.DRAFT).update(
            state=Opinion.State.SIGNED, signed_by=actor, signed_at=now
        )
        if signed != 1:  # pragma: no cover - the row is locked
            raise ConflictError("this opinion is already signed")
        opinion.state, opinion.signed_by, opinion.signed_at = Opinion.State.SIGNED, actor, now
        audit_record(actor=actor, verb="opinion.sign", target=opinion,
                     before={"state": Opinion.State.DRAFT}, after=_opinion_snapshot(opinion),
                     application=a.application, note=opinion.correction_reason)
        if opinion.supersedes_id is None:
            moved = Assignment.objects.filter(pk=a.pk, status__in=OPEN_ASSIGNMENT_STATUSES).update(
                status=AssignmentStatus.SIGNED
            )
            if moved != 1:  # pragma: no cover
                raise ConflictError("the assignment changed meanwhile; reload and try again")
            audit_record(actor=actor, verb="assignment.signed", target=a, before={"status": a.status},
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
    if clock.state in (ClockState.RUNNING, ClockState.PAUSED):
        clock = clocks.clock_stop(clock=clock, on=max(on, _last_event_on(clock) or on), actor=actor)
        Assignment.objects.filter(pk=a.pk).update(due_date=clock.due_date)


def _last_event_on(clock: Clock) -> date | None:
    last = clock.events.order_by("-seq").values_list("on", flat=True).first()
    return last


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
    audit_record(actor=actor, verb="round.complete", target=rnd, after={"completed_at": now},
                 application=Application.objects.get(pk=rnd.application_id))
    return True


def opinion_correct(*, actor, opinion_id: int, reason: str) -> Opinion:
    """After signing: a new draft version superseding the signed one (findings copied); needs a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("a correction needs a reason (更正原因)")
    with transaction.atomic():
        old = _lock_opinion(opinion_id)
        a = _lock_assignment(old.assignment_id)
        _require_writer(actor, a, "correct the opinion")
        if old.state != Opinion.State.SIGNED:
            raise ConflictError("only a signed opinion is corrected; edit the draft instead")
        if Opinion.objects.filter(supersedes=old).exists():
            raise ConflictError("this version was already corrected; correct the latest version")
        if Opinion.objects.filter(assignment=a, state=Opinion.State.DRAFT).exists():
            raise ConflictError("a correction of this opinion is already in progress")
        notice = _joint_notice_of(a.round_id)
        if notice is not None and notice.state == IssuedDocument.State.ISSUED:
            raise ConflictError("the joint notice of this round is issued: the opinion can no longer be corrected")
        version = (a.opinions.aggregate(m=Max("version"))["m"] or 0) + 1
        new = Opinion(
            assignment=a, version=version, outcome=old.outcome, summary=old.summary, author=actor,
            supersedes=old, correction_reason=reason,
        )
        common.full_clean(new, exclude=["summary"])  # copied: a summary from before the limits still corrects
        new.save()
        for f in old.findings.order_by("number"):
            Finding.objects.create(
                opinion=new, number=f.number, speciality_id=f.speciality_id,
                document_version_id=f.document_version_id, sheet=f.sheet, standard=f.standard, clause=f.clause,
                mandatory=f.mandatory, text=f.text, state=f.state, carried_from_id=f.carried_from_id,
                response=f.response, response_text=f.response_text, responded_by_id=f.responded_by_id,
                responded_at=f.responded_at,
            )
        copied = _copy_attachments(old, new)
        audit_record(actor=actor, verb="opinion.correct", target=new, before=_opinion_snapshot(old),
                     after={"version": version, "supersedes": old.pk, "attachments": copied},
                     application=a.application, note=reason)
    return new


# ---------------------------------------------------------------------------
# pausing the clock (特别程序)
# ---------------------------------------------------------------------------


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
        audit_record(actor=actor, verb="pause.request", target=pr,
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
        try:
            pr = PauseRequest.objects.select_for_update().get(pk=pause_id)
        except PauseRequest.DoesNotExist:
            raise ServiceError("no such pause request", code="not_found") from None
        a = _lock_assignment(pr.assignment_id)
        if pr.status != PauseRequest.Status.REQUESTED:
            raise ConflictError(f"this pause request is already {pr.get_status_display()}")
        now = timezone.now()
        if not approve:
            PauseRequest.objects.filter(pk=pr.pk, status=PauseRequest.Status.REQUESTED).update(
                status=PauseRequest.Status.REFUSED, decided_by=actor, decided_at=now
            )
            pr.status = PauseRequest.Status.REFUSED
            audit_record(actor=actor, verb="pause.refuse", target=pr, before={"status": "requested"},
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
        audit_record(actor=actor, verb="pause.approve", target=pr, before={"status": "requested"},
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
    audit_record(actor=actor, verb="document.issue", target=doc, after={"kind": doc.kind, "number": doc.number},
                 application=app)
    render_after_commit(doc.pk)
    return doc


def pause_end(*, actor, pause_id: int, on: date | None = None) -> PauseRequest:
    """End an approved pause (the reviewer, the agency lead or the centre): the clock resumes."""
    on = common.today(on)
    with transaction.atomic():
        try:
            pr = PauseRequest.objects.select_for_update().get(pk=pause_id)
        except PauseRequest.DoesNotExist:
            raise ServiceError("no such pause request", code="not_found") from None
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
        audit_record(actor=actor, verb="pause.end", target=pr, before={"status": "approved"},
                     after={"status": pr.status, "on": on, "due_date": clock.due_date}, application=a.application)
        app = a.application
        common.notify(key=f"pause-{pr.pk}-ended", organization_id=app.project.owner_id, kind="pause_ended",
                      subject=f"恢复计时 Clock resumed: {app.number} / {a.agency}",
                      body=f"自 {on} 起恢复计时, 新的到期日 {clock.due_date}. Resumed on {on}; due {clock.due_date}.",
                      application=app, assignment=a)
    return pr


# ---------------------------------------------------------------------------
# consolidation: the joint notice of a round
# ---------------------------------------------------------------------------


def _header(app: Application, *, title: str, number: str, code: str, on: date) -> dict[str, Any]:
    project = app.project
    return {
        "centre": settings.JR_CENTRE_NAME,
        "title": title,
        "number": number,
        "date": on.isoformat(),
        "verification_code": code,
        "verify_url": verify_url(code),
        "application": {"number": app.number, "workflow": app.workflow.name},
        "project": {"name": project.name, "code": project.code, "owner": str(project.owner),
                    "location": project.location},
    }


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
    app = rnd.application
    content = _header(app, title="综合审查意见书", number=number, code=code, on=on)
    content["round"] = rnd.number
    assignments = list(
        Assignment.objects.filter(round=rnd).exclude(status=AssignmentStatus.CANCELLED)
        .select_related("agency").order_by("agency__name", "pk")
    )
    opinions = {
        o.assignment_id: o
        for o in Opinion.objects.filter(assignment__in=assignments, state=Opinion.State.SIGNED)
        .select_related("signed_by").order_by("assignment_id", "version")
    }  # the last (highest) signed version wins
    findings_by_opinion: dict[int, list[Finding]] = {}
    for f in (
        Finding.objects.filter(opinion__in=list(opinions.values()))
        .select_related("speciality", "document_version__document").order_by("opinion_id", "number")
    ):
        findings_by_opinion.setdefault(f.opinion_id, []).append(f)
    attachments_by_opinion: dict[int, list[dict[str, Any]]] = {}
    for att in OpinionAttachment.objects.filter(opinion__in=list(opinions.values())).order_by("opinion_id", "pk"):
        attachments_by_opinion.setdefault(att.opinion_id, []).append(
            {"name": att.original_name, "size": att.size, "sha256": att.sha256}
        )
    no = 0
    agencies = []
    outcomes = []
    for a in assignments:
        op = opinions.get(a.pk)
        if op is None:
            continue
        outcomes.append(op.outcome)
        groups: dict[str, list[dict[str, Any]]] = {}
        for f in findings_by_opinion.get(op.pk, []):
            groups.setdefault(f.speciality.name if f.speciality else "通用 General", []).append(f)
        group_list = []
        for spec in sorted(groups):
            entries = []
            for f in groups[spec]:
                no += 1
                entries.append(_finding_entry(f, no))
            group_list.append({"speciality": spec, "findings": entries})
        agencies.append({
            "agency": str(a.agency), "agency_id": a.agency_id, "assignment_id": a.pk, "opinion_id": op.pk,
            "outcome": op.outcome, "outcome_label": op.get_outcome_display(),
            "signed_by": str(op.signed_by) if op.signed_by else "",
            "signed_on": timezone.localtime(op.signed_at).date().isoformat() if op.signed_at else "",
            "version": op.version, "correction_reason": op.correction_reason, "summary": op.summary,
            "groups": group_list, "attachments": attachments_by_opinion.get(op.pk, []),
        })
    in_round = {a.agency_id for a in assignments}
    carried = []
    earlier = (
        Assignment.objects.filter(application=app, round_number__lt=rnd.number)
        .exclude(agency_id__in=in_round).exclude(status=AssignmentStatus.CANCELLED)
        .select_related("agency").order_by("agency__name", "-round_number")
    )
    seen: set[int] = set()
    for a in earlier:
        if a.agency_id in seen:
            continue
        seen.add(a.agency_id)
        op = latest_signed(a.pk)
        carried.append({"agency": str(a.agency), "round": a.round_number,
                        "outcome_label": op.get_outcome_display() if op else "—"})
    pauses = [
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
    if Outcome.REJECT in outcomes:
        conclusion = "不予通过 Rejected"
    elif Outcome.REVISE in outcomes:
        conclusion = "请按审查意见修改后复审 Revise the documents and resubmit to the agencies listed"
    else:
        conclusion = "各单位审查通过 Every agency has passed"
    content.update({
        "agencies": agencies, "carried_over": carried, "pauses": pauses, "conclusion": conclusion,
        "counts": {"findings": no, "open": sum(
            1 for ag in agencies for g in ag["groups"] for f in g["findings"] if f["state"] == Finding.State.OPEN
        )},
    })
    return content


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
            raise ServiceError("no such review round", code="not_found") from None
        if rnd.completed_at is None:
            raise ConflictError(f"round {rnd.number} is not complete: some agencies have not signed")
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
            audit_record(actor=actor, verb="notice.draft", target=notice,
                         after={"number": number, "findings": content["counts"]["findings"]}, application=app)
            for org_id in _centre_org_ids():
                common.notify(key=f"notice-{notice.pk}-drafted-{org_id}", organization_id=org_id,
                              kind="notice_drafted",
                              subject=f"综合审查意见书待签发 Joint notice ready to issue: {app.number} 第{rnd.number}轮",
                              application=app)
        else:
            content = _notice_content(rnd, number=notice.number, code=notice.verification_code,
                                      on=date.fromisoformat(notice.content.get("date", on.isoformat())))
            if content != notice.content:
                IssuedDocument.objects.filter(pk=notice.pk, state=IssuedDocument.State.DRAFT).update(
                    content=content, file="", sha256=""
                )
                notice.content = content
                audit_record(actor=actor, verb="notice.redraft", target=notice,
                             after={"findings": content["counts"]["findings"]}, application=app)
    return notice


def consolidation_sweep() -> int:
    """Beat: re-dispatch the consolidation of completed rounds that have no joint notice yet."""
    missing = list(
        ReviewRound.objects.filter(completed_at__isnull=False)
        .exclude(notices__kind=IssuedKind.JOINT_NOTICE).values_list("pk", flat=True)[:200]
    )
    for round_id in missing:
        enqueue_after_commit(CONSOLIDATE_TASK, round_id=round_id)  # no transaction here: sent at once
    return len(missing)


def notice_issue(*, actor, notice_id: int, on: date | None = None) -> IssuedDocument:
    """The centre issues the joint notice of a round; the application moves on (see module doc)."""
    on = common.today(on)
    common.require_centre(actor, "签发综合审查意见书 (issue joint notices)")
    with transaction.atomic():
        try:
            notice = IssuedDocument.objects.select_for_update().get(pk=notice_id, kind=IssuedKind.JOINT_NOTICE)
        except IssuedDocument.DoesNotExist:
            raise ServiceError("no such joint notice", code="not_found") from None
        app = Application.objects.select_for_update().select_related("project", "workflow").get(
            pk=notice.application_id
        )
        if notice.state != IssuedDocument.State.DRAFT:
            raise ConflictError("this joint notice is already issued")
        if app.status not in (ApplicationStatus.ACCEPTED, ApplicationStatus.REVISION):
            raise ConflictError(f"the application is {app.get_status_display()}")
        pending = Opinion.objects.filter(assignment__round_id=notice.round_id, state=Opinion.State.DRAFT)
        if pending.exists():
            names = ", ".join(sorted({str(o.assignment.agency) for o in pending.select_related("assignment__agency")}))
            raise ConflictError(f"a correction of an opinion is still a draft ({names}): sign it first")
        # refresh the snapshot (corrections signed since the draft) and stamp the issue date
        rnd = ReviewRound.objects.get(pk=notice.round_id)
        content = _notice_content(rnd, number=notice.number, code=notice.verification_code, on=on)
        now = timezone.now()
        done = IssuedDocument.objects.filter(pk=notice.pk, state=IssuedDocument.State.DRAFT).update(
            state=IssuedDocument.State.ISSUED, issued_at=now, issued_by=actor, content=content, file="", sha256=""
        )
        if done != 1:  # pragma: no cover
            raise ConflictError("this joint notice is already issued")
        notice.state, notice.issued_at, notice.issued_by, notice.content = (
            IssuedDocument.State.ISSUED, now, actor, content
        )
        outcomes = {ag["outcome"] for ag in content["agencies"]}
        if Outcome.REJECT in outcomes:
            new_status = ApplicationStatus.REJECTED
        elif Outcome.REVISE in outcomes:
            new_status = ApplicationStatus.REVISION
        else:
            new_status = ApplicationStatus.ACCEPTED
        audit_record(actor=actor, verb="notice.issue", target=notice, before={"state": "draft"},
                     after={"state": "issued", "outcomes": sorted(outcomes)}, application=app)
        if new_status != app.status:
            fields: dict[str, Any] = {"status": new_status}
            if new_status == ApplicationStatus.REJECTED:
                fields["decided_at"] = now
            Application.objects.filter(pk=app.pk, status=app.status).update(**fields)
            audit_record(actor=actor, verb=f"application.{new_status}", target=app,
                         before={"status": app.status}, after={"status": new_status})
        _application_clock(actor, app, new_status, on)
        common.notify(key=f"notice-{notice.pk}-issued", organization_id=app.project.owner_id,
                      kind="joint_notice",
                      subject=f"综合审查意见书 Joint review notice {notice.number}: {content['conclusion']}",
                      body=f"{app.project.name} 第{rnd.number}轮审查意见已出具。Round {rnd.number} notice issued.",
                      application=app)
        for ag in content["agencies"]:
            common.notify(key=f"notice-{notice.pk}-issued-{ag['agency_id']}", organization_id=ag["agency_id"],
                          kind="joint_notice", subject=f"综合审查意见书已签发 Joint notice issued: {notice.number}",
                          application=app)
        render_after_commit(notice.pk)
    return notice


def _application_clock(actor, app: Application, status: str, on: date) -> None:
    from jointreview.clocks import services as clocks

    if not app.clock_id:
        return
    clock = Clock.objects.get(pk=app.clock_id)
    on = max(on, _last_event_on(clock) or on)
    if status == ApplicationStatus.REVISION and clock.state == ClockState.RUNNING:
        clocks.clock_pause(clock=clock, on=on, reason=PauseReason.REVISION,
                           reason_text="建设单位修改复审 awaiting the owner's revision", actor=actor)
    elif status in (ApplicationStatus.REJECTED, ApplicationStatus.APPROVED) and clock.state in (
        ClockState.RUNNING, ClockState.PAUSED
    ):
        clocks.clock_stop(clock=clock, on=on, actor=actor)
    elif status == ApplicationStatus.ACCEPTED and clock.state == ClockState.PAUSED:
        clocks.clock_resume(clock=clock, on=on, actor=actor)


# ---------------------------------------------------------------------------
# the owner's answers and the next round
# ---------------------------------------------------------------------------


def _revise_assignments(app: Application) -> list[tuple[Assignment, Opinion]]:
    """(assignment, latest signed opinion) of the current round whose outcome is 'revise'."""
    out = []
    for a in Assignment.objects.filter(application=app, round_number=app.current_round).select_related("agency"):
        op = latest_signed(a.pk)
        if op is not None and op.outcome == Outcome.REVISE:
            out.append((a, op))
    return out


def finding_respond(*, actor, finding_id: int, response: str, text: str) -> Finding:
    """The owner answers an OPEN finding of an issued notice: fixed or disputed, with text."""
    text = (text or "").strip()
    if response not in (Finding.Response.FIXED, Finding.Response.DISPUTED):
        raise ServiceError("answer 'fixed' (已修改) or 'disputed' (有异议)")
    if not text:
        raise ServiceError("an answer needs text: what was changed, or why you disagree")
    with transaction.atomic():
        try:
            finding = (
                Finding.objects.select_for_update(of=("self",))
                .select_related("opinion__assignment__application__project").get(pk=finding_id)
            )
        except Finding.DoesNotExist:
            raise ServiceError("no such finding", code="not_found") from None
        opinion = finding.opinion
        a = opinion.assignment
        app = a.application
        common.require_project_owner(actor, app.project, "答复审查意见 (answer findings)")
        if finding.state != Finding.State.OPEN:
            raise ConflictError("answering a closed finding is refused: this finding is already closed")
        if app.status != ApplicationStatus.REVISION or a.round_number != app.current_round:
            raise ConflictError("findings are answered while the application awaits revision, before resubmitting")
        if opinion.state != Opinion.State.SIGNED or Opinion.objects.filter(supersedes=opinion).exists():
            raise ConflictError("this finding belongs to a superseded version of the opinion")
        notice = _joint_notice_of(a.round_id)
        if notice is None or notice.state != IssuedDocument.State.ISSUED:
            raise ConflictError("the joint notice of this round is not issued yet")
        before = {"response": finding.response, "response_text": finding.response_text}
        finding.response, finding.response_text = response, text
        common.full_clean(finding, exclude=[f for f in _FINDING_TEXT_FIELDS if f != "response_text"])
        Finding.objects.filter(pk=finding.pk, state=Finding.State.OPEN).update(
            response=response, response_text=text, responded_by=actor, responded_at=timezone.now()
        )
        finding.refresh_from_db()
        audit_record(actor=actor, verb="finding.respond", target=finding, before=before,
                     after={"response": response, "response_text": text}, application=app)
    return finding


def _item_policy(a: Assignment) -> tuple[str, int, str, int | None, int | None]:
    """(policy, full limit, unit, warn_days, warn_percent) as intake chose them: the item with the
    longest promised limit leads (services.intake.assignment_clock_params)."""
    from jointreview.intake.services import assignment_clock_params

    items = [ai.item for ai in a.items.select_related("item")]
    if not items:
        clock = a.clock
        return (clock.policy if clock else ResubmissionPolicy.RESUME, clock.limit_value if clock else 10,
                clock.limit_unit if clock else TimeUnit.WORKING, None, None)
    p = assignment_clock_params(items)
    return p["policy"], p["limit_value"], p["limit_unit"], p["warn_days"], p["warn_percent"]


def application_resubmit(*, actor, application_id: int, on: date | None = None) -> ReviewRound:
    """The owner resubmits: round n+1 goes only to the agencies that asked for revision."""
    on = common.today(on)
    from jointreview.clocks import services as clocks

    with transaction.atomic():
        app = _lock_application(application_id)
        common.require_project_owner(actor, app.project, "重新提交 (resubmit)")
        if app.status != ApplicationStatus.REVISION:
            raise ConflictError(f"the application is {app.get_status_display()}: there is nothing to resubmit")
        revise = _revise_assignments(app)
        if not revise:  # pragma: no cover - REVISION implies a revise outcome
            raise ConflictError("no agency asked for revision")
        unanswered = Finding.objects.filter(
            opinion__in=[op for _a, op in revise], state=Finding.State.OPEN, response=""
        ).count()
        if unanswered:
            raise ServiceError(f"answer every open finding first ({unanswered} without an answer)")
        notice = _joint_notice_of(revise[0][0].round_id)
        all_disputed = not Finding.objects.filter(
            opinion__in=[op for _a, op in revise], state=Finding.State.OPEN, response=Finding.Response.FIXED
        ).exists()
        if not all_disputed:
            doc_ids = [d for d in app.materials.exclude(document=None).values_list("document_id", flat=True)]
            revised = DocumentVersion.objects.filter(
                document__project_id=app.project_id, uploaded_at__gt=notice.issued_at
            )
            if doc_ids:
                revised = revised.filter(document_id__in=doc_ids)
            if not revised.exists():
                raise ServiceError("upload the revised documents (a new version) before resubmitting")
        number = app.current_round + 1
        rnd = ReviewRound(application=app, number=number)
        common.full_clean(rnd)
        rnd.save()
        created = []
        for prev, _op in revise:
            resub_policy, full_limit, unit, warn_days, warn_percent = _item_policy(prev)
            limit = full_limit
            if resub_policy == ResubmissionPolicy.RESUME and prev.clock_id:
                prev_clock = Clock.objects.get(pk=prev.clock_id)
                limit = max(1, clocks.clock_status(prev_clock).remaining)
                unit = prev_clock.limit_unit
            clock = clocks.clock_create(kind=Clock.Kind.ASSIGNMENT, limit_value=limit, limit_unit=unit,
                                        policy=resub_policy, warn_days=warn_days, warn_percent=warn_percent)
            clock = clocks.clock_start(clock=clock, on=on, actor=actor)
            a = Assignment(
                application=app, round=rnd, round_number=number, agency=prev.agency, reviewer=prev.reviewer,
                backup=prev.backup, clock=clock, due_date=clock.due_date, previous=prev,
                portion=prev.portion, reads_all=prev.reads_all,
                status=AssignmentStatus.IN_REVIEW if prev.reviewer_id else AssignmentStatus.UNASSIGNED,
            )
            common.full_clean(a)
            a.save()
            a.items.set(prev.items.all())
            # the same agency, the same portion as recorded in round 1 (jointreview/policy/portions.py)
            grant_many([("view_assignment", prev.agency, a), ("review_assignment", prev.agency, a),
                        ("view_application", prev.agency, app)])
            created.append(a)
            audit_record(actor=actor, verb="assignment.create", target=a,
                         after={"round": number, "agency": prev.agency_id, "limit": limit, "policy": resub_policy,
                                "due_date": clock.due_date}, application=app)
        Application.objects.filter(pk=app.pk, status=ApplicationStatus.REVISION).update(
            status=ApplicationStatus.ACCEPTED, current_round=number
        )
        audit_record(actor=actor, verb="application.resubmit", target=app,
                     before={"status": app.status, "round": app.current_round},
                     after={"status": ApplicationStatus.ACCEPTED, "round": number,
                            "agencies": [a.agency_id for a in created]})
        _application_clock(actor, app, ApplicationStatus.ACCEPTED, on)
        from jointreview.intake.fanout import dispatch_notify

        for a in created:
            dispatch_notify(a.pk)  # on commit
    return rnd


# ---------------------------------------------------------------------------
# approval
# ---------------------------------------------------------------------------


def certificate_outstanding(app: Application) -> list[str]:
    """What still stands between the application and its certificate (empty = ready)."""
    out: list[str] = []
    latest: dict[int, Assignment] = {}
    for a in (
        Assignment.objects.filter(application=app).exclude(status=AssignmentStatus.CANCELLED)
        .select_related("agency").order_by("agency_id", "round_number")
    ):
        latest[a.agency_id] = a
    if not latest:
        out.append("no agency has reviewed this application")
    for a in sorted(latest.values(), key=lambda x: x.agency.name):
        op = latest_signed(a.pk)
        if a.status in OPEN_ASSIGNMENT_STATUSES or op is None:
            out.append(f"{a.agency}: review of round {a.round_number} not signed")
        elif op.outcome not in PASSING_OUTCOMES:
            out.append(f"{a.agency}: {op.get_outcome_display()} (round {a.round_number})")
        elif Opinion.objects.filter(assignment=a, state=Opinion.State.DRAFT).exists():
            out.append(f"{a.agency}: a correction of its opinion is still a draft")
    for d in Deferral.objects.filter(application=app, fulfilled_at__isnull=True).select_related("material"):
        out.append(f"容缺 deferred material '{d.material}' (promised {d.promised_date}) not yet supplied")
    return out


def certificate_issue(*, actor, application_id: int, on: date | None = None) -> IssuedDocument:
    """The centre issues the certificate (审查合格书 / 联合验收意见书) when nothing is outstanding."""
    on = common.today(on)
    common.require_centre(actor, "出具合格文书 (issue certificates)")
    with transaction.atomic():
        app = _lock_application(application_id)
        if app.status == ApplicationStatus.APPROVED:
            raise ConflictError("the certificate of this application is already issued")
        if app.status != ApplicationStatus.ACCEPTED:
            raise ConflictError(f"the application is {app.get_status_display()}: no certificate can be issued")
        outstanding = certificate_outstanding(app)
        if outstanding:
            raise ServiceError("approving with an agency outstanding is refused: " + "; ".join(outstanding))
        acceptance = app.workflow.kind == WorkflowKind.JOINT_ACCEPTANCE
        kind = IssuedKind.ACCEPTANCE_OPINION if acceptance else IssuedKind.CERTIFICATE
        title = app.workflow.certificate_title or "审查合格书"
        if acceptance and title == "审查合格书":
            title = "联合验收意见书"
        number = f"{'YS' if acceptance else 'HG'}-{app.number}"
        code = new_verification_code()
        content = _header(app, title=title, number=number, code=code, on=on)
        content.update(_certificate_body(app, title))
        doc = IssuedDocument(kind=kind, application=app, number=number, verification_code=code, title=title,
                             state=IssuedDocument.State.ISSUED, issued_at=timezone.now(), issued_by=actor,
                             content=content)
        common.full_clean(doc)
        doc.save()
        now = timezone.now()
        Application.objects.filter(pk=app.pk, status=ApplicationStatus.ACCEPTED).update(
            status=ApplicationStatus.APPROVED, decided_at=now
        )
        audit_record(actor=actor, verb="document.issue", target=doc, after={"kind": kind, "number": number},
                     application=app)
        audit_record(actor=actor, verb="application.approved", target=app, before={"status": app.status},
                     after={"status": ApplicationStatus.APPROVED, "certificate": number})
        _application_clock(actor, app, ApplicationStatus.APPROVED, on)
        common.notify(key=f"certificate-{doc.pk}", organization_id=app.project.owner_id, kind="certificate",
                      subject=f"{title} {number}: {app.project.name}", application=app)
        render_after_commit(doc.pk)
    return doc


def _certificate_body(app: Application, title: str) -> dict[str, Any]:
    agencies = []
    history = []
    latest: dict[int, Assignment] = {}
    for a in (
        Assignment.objects.filter(application=app).exclude(status=AssignmentStatus.CANCELLED)
        .select_related("agency").order_by("round_number", "agency__name")
    ):
        latest[a.agency_id] = a
        op = latest_signed(a.pk)
        if op is None:
            continue
        for f in op.findings.order_by("number"):
            history.append({
                "round": a.round_number, "agency": str(a.agency), "no": f.number, "text": f.text,
                "standard": f.standard, "clause": f.clause, "state_label": f.get_state_display(),
                "response_label": f.get_response_display() if f.response else "", "response_text": f.response_text,
            })
    for a in sorted(latest.values(), key=lambda x: x.agency.name):
        op = latest_signed(a.pk)
        conditions = []
        if op.outcome == Outcome.PASS_WITH_CONDITIONS:
            conditions = [f.text for f in op.findings.order_by("number")] or [op.summary]
        agencies.append({
            "agency": str(a.agency), "outcome_label": op.get_outcome_display(), "round": a.round_number,
            "signed_by": str(op.signed_by) if op.signed_by else "",
            "signed_on": timezone.localtime(op.signed_at).date().isoformat() if op.signed_at else "",
            "conditions": conditions,
        })
    statement = (
        f"经各审查单位并联审查, 项目「{app.project.name}」{app.workflow.name}审查合格, 特发此{title}。"
        f" The joint review of this project is complete and every agency has passed."
    )
    return {"statement": statement, "agencies": agencies, "history": history}


# ---------------------------------------------------------------------------
# opinion attachments (意见附件)
# ---------------------------------------------------------------------------

ATTACHMENT_TYPES = "pdf,jpg,png,dwg,zip"


def _copy_attachments(old: Opinion, new: Opinion) -> int:
    """A correction carries the attachments: new rows pointing at the same stored files."""
    rows = [
        OpinionAttachment(opinion=new, file=att.file.name, original_name=att.original_name, sha256=att.sha256,
                          size=att.size, content_type=att.content_type)
        for att in old.attachments.order_by("pk")
    ]
    OpinionAttachment.objects.bulk_create(rows)
    return len(rows)


def _attachable_draft(actor, opinion_id: int, what: str) -> tuple[Opinion, Assignment]:
    """Lock the opinion (then its assignment: the order finding_add uses) and check it may change."""
    opinion = _lock_opinion(opinion_id)
    a = _lock_assignment(opinion.assignment_id)
    opinion.assignment = a
    if opinion.state != Opinion.State.DRAFT:
        raise ConflictError(
            "the attachments of a signed opinion cannot be changed; make a correction (a new version) instead"
        )
    _editable_draft(actor, opinion, what)
    return opinion, a


def opinion_attach(*, actor, opinion_id: int, upload) -> OpinionAttachment:
    """Attach a file to a draft opinion (acting reviewer or lead of the agency). The name, size and
    type (by content: pdf, jpg, png, dwg, zip) are checked with intake's validators; the file is
    stored under a path derived from its sha256."""
    from jointreview.intake.services import _read_upload, validate_upload

    stored: list[str] = []
    storage = OpinionAttachment._meta.get_field("file").storage
    try:
        with transaction.atomic():
            opinion, a = _attachable_draft(actor, opinion_id, "attach files to the opinion")
            name, data = _read_upload(upload)
            name, content_type = validate_upload(name=name, data=data, accepted_types=ATTACHMENT_TYPES)
            att = OpinionAttachment(opinion=opinion, original_name=name, sha256=hashlib.sha256(data).hexdigest(),
                                    size=len(data), content_type=content_type)
            att.file.save("attachment", ContentFile(data), save=False)  # the name is ignored by upload_to
            stored.append(att.file.name)
            common.full_clean(att)
            att.save()
            audit_record(actor=actor, verb="opinion.attach", target=opinion,
                         after={"attachment": att.pk, "name": name, "sha256": att.sha256, "size": att.size},
                         application=a.application)
    except BaseException:
        for path in stored:  # the row was not saved: leave no orphan file behind
            storage.delete(path)
        raise
    return att


def opinion_attachment_remove(*, actor, attachment_id: int) -> None:
    """Remove an attachment from a draft; the stored file goes too unless another row still uses it
    (a signed version the draft corrects keeps its own copy of the row)."""
    with transaction.atomic():
        att = OpinionAttachment.objects.filter(pk=attachment_id).only("pk", "opinion_id").first()
        if att is None:
            raise ServiceError("no such attachment", code="not_found")
        opinion, a = _attachable_draft(actor, att.opinion_id, "remove attachments of the opinion")
        att = OpinionAttachment.objects.select_for_update().filter(pk=attachment_id, opinion=opinion).first()
        if att is None:  # removed meanwhile
            raise ServiceError("no such attachment", code="not_found")
        path = att.file.name
        snapshot = {"attachment": att.pk, "name": att.original_name, "sha256": att.sha256}
        att.delete()
        audit_record(actor=actor, verb="opinion.attachment_remove", target=opinion, before=snapshot,
                     application=a.application)
        if not OpinionAttachment.objects.filter(file=path).exists():
            storage = OpinionAttachment._meta.get_field("file").storage
            transaction.on_commit(lambda: storage.delete(path))
