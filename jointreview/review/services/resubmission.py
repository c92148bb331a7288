"""Resubmission: the next round goes only to the agencies that asked for revision.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

from datetime import date

from django.db import transaction

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Clock,
    Finding,
    Opinion,
    Outcome,
    ResubmissionPolicy,
    ReviewRound,
    TimeUnit,
)
from jointreview.policy import (
    grant_many,
)
from jointreview.review.services.common import (
    _application_clock,
    _joint_notice_of,
    _lock_application,
    latest_signed,
)
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError
from projects.models import DocumentVersion


def _revise_assignments(app: Application) -> list[tuple[Assignment, Opinion]]:
    """(assignment, latest signed opinion) of the current round whose outcome is 'revise'."""
    out = []
    for a in Assignment.objects.filter(application=app, round_number=app.current_round).select_related("agency"):
        op = latest_signed(a.pk)
        if op is not None and op.outcome == Outcome.REVISE:
            out.append((a, op))
    return out


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
            audit_record(actor=actor, verb=AuditVerb.ASSIGNMENT_CREATE, target=a,
                         after={"round": number, "agency": prev.agency_id, "limit": limit, "policy": resub_policy,
                                "due_date": clock.due_date}, application=app)
        Application.objects.filter(pk=app.pk, status=ApplicationStatus.REVISION).update(
            status=ApplicationStatus.ACCEPTED, current_round=number
        )
        audit_record(actor=actor, verb=AuditVerb.APPLICATION_RESUBMIT, target=app,
                     before={"status": app.status, "round": app.current_round},
                     after={"status": ApplicationStatus.ACCEPTED, "round": number,
                            "agencies": [a.agency_id for a in created]})
        _application_clock(actor, app, ApplicationStatus.ACCEPTED, on)
        from jointreview.intake.fanout import dispatch_notify

        for a in created:
            dispatch_notify(a.pk)  # on commit
    return rnd
