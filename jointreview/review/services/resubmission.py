"""Resubmission: the next round goes only to the agencies that asked for revision.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.models import (
    Application,
    ApplicationStatus,
    Assignment,
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
from jointreview.review.services.assignments import (
    assignment_clock_params,
    assignment_grants,
    assignment_open,
)
from jointreview.review.services.common import (
    _application_clock,
    _joint_notice_of,
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


def _next_clock_params(prev: Assignment) -> dict[str, Any]:
    """The clock of the next round's assignment: the items' policy as intake chose it (the item with the
    longest promised limit leads); under 'resume' the days the previous clock had left, under
    'restart' the full promised limit (docs/domain.md §4.2.3)."""
    items = [ai.item for ai in prev.items.select_related("item")]
    prev_clock = Clock.objects.get(pk=prev.clock_id) if prev.clock_id else None
    if items:
        params = assignment_clock_params(items)
    else:  # an assignment without items (none today): keep its previous clock's terms
        params = {"limit_value": prev_clock.limit_value if prev_clock else 10,
                  "limit_unit": prev_clock.limit_unit if prev_clock else TimeUnit.WORKING,
                  "policy": prev_clock.policy if prev_clock else ResubmissionPolicy.RESUME}
    if params["policy"] == ResubmissionPolicy.RESUME and prev_clock is not None:
        from jointreview.clocks import services as clocks

        params["limit_value"] = max(1, clocks.clock_status(prev_clock).remaining)
        params["limit_unit"] = prev_clock.limit_unit
    return params


def application_resubmit(*, actor, application_id: int, on: date | None = None) -> ReviewRound:
    """The owner resubmits: round n+1 goes only to the agencies that asked for revision."""
    on = common.today(on)
    with transaction.atomic():
        app = common.lock_application(application_id)
        common.require_project_owner(actor, app.project, _("resubmit"))
        if app.status != ApplicationStatus.REVISION:
            raise ConflictError(_("The application is %(status)s: there is nothing to resubmit.")
                                % {"status": app.get_status_display()})
        revise = _revise_assignments(app)
        if not revise:  # pragma: no cover - REVISION implies a revise outcome
            raise ConflictError(_("No agency asked for revision."))
        _require_answers_and_revisions(app, revise)
        number = app.current_round + 1
        rnd = ReviewRound(application=app, number=number)
        common.full_clean(rnd)
        rnd.save()
        created = []
        grants = []
        for prev, _op in revise:
            # the same agency, reviewers and portion as recorded in round 1 (jointreview/policy/portions.py)
            a = assignment_open(actor=actor, application=app, round=rnd, agency=prev.agency,
                                items=list(prev.items.select_related("item")), on=on,
                                clock_params=_next_clock_params(prev), portion=prev.portion,
                                reads_all=prev.reads_all, previous=prev)
            grants += assignment_grants(a)
            created.append(a)
        grant_many(grants)
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


def _require_answers_and_revisions(app: Application, revise: list[tuple[Assignment, Opinion]]) -> None:
    """Every open finding answered; unless every answer disputes, a revised document uploaded since
    the joint notice."""
    opinions = [op for _a, op in revise]
    unanswered = Finding.objects.filter(opinion__in=opinions, state=Finding.State.OPEN, response="").count()
    if unanswered:
        raise ServiceError(_("Answer every open finding first (%(count)s without an answer).") % {"count": unanswered},
                           code="unanswered")
    all_disputed = not Finding.objects.filter(
        opinion__in=opinions, state=Finding.State.OPEN, response=Finding.Response.FIXED
    ).exists()
    if all_disputed:
        return
    notice = _joint_notice_of(revise[0][0].round_id)
    doc_ids = list(app.materials.exclude(document=None).values_list("document_id", flat=True))
    revised = DocumentVersion.objects.filter(document__project_id=app.project_id, uploaded_at__gt=notice.issued_at)
    if doc_ids:
        revised = revised.filter(document_id__in=doc_ids)
    if not revised.exists():
        raise ServiceError(_("Upload the revised documents (a new version) before resubmitting."),
                           code="not_revised")
