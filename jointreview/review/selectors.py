"""Permission-aware reads of the review (docs/architecture.md §3.3): the agency inbox, assignments, opinions,
issued documents, round history, the coordinator's worklist.

Visibility rules:
- an agency sees only its own assignments (explicit ``agency`` filter) and, of other agencies, only
  what an ISSUED joint notice says; never another agency's draft or unsigned opinion;
- in the inbox the agency lead sees every assignment of the agency (unassigned ones as such), a
  reviewer those where they are A or B;
- the owner sees signed opinions only through ISSUED notices; drafts of notices only the centre;
- the centre reads everything (never writes an agency's opinion).
Who may see what is decided in ``jointreview.policy``; these reads apply it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from jointreview import policy
from jointreview.clocks.selectors import attach_budgets
from jointreview.documents.services import plausible_verification_code
from jointreview.models import (
    OPEN_ASSIGNMENT_STATUSES,
    Application,
    ApplicationItem,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Finding,
    FindingTemplate,
    IssuedDocument,
    IssuedKind,
    Light,
    Opinion,
    OpinionAttachment,
    PauseRequest,
    ReviewRound,
)
from jointreview.paging import RowsById
from jointreview.review.services import certificate_outstanding_many
from projects.models import DocumentVersion

INBOX_STATES = [(s.value, s.label) for s in AssignmentStatus]
LIGHTS = [(c.value, c.label) for c in Light]


def inbox(user, *, state: str = "", light: str = "", reviewer: str = "", workflow: str = "") -> RowsById:
    """The agency's own assignments, most urgent first (due date, then id), for a Paginator: a page's ids
    from the assignment table alone, then its rows (``inbox_rows``); a constant number of queries."""
    qs = policy.agency_assignments(user).exclude(status=AssignmentStatus.CANCELLED)
    if not policy.inbox_is_lead(user):
        qs = qs.filter(Q(reviewer=user) | Q(backup=user))
    if state:
        qs = qs.filter(status=state)
    if light:
        qs = qs.filter(clock__light=light)
    if reviewer == "none":
        qs = qs.filter(reviewer__isnull=True)
    elif reviewer == "me":
        qs = qs.filter(Q(reviewer=user) | Q(backup=user))
    elif reviewer.isdigit():
        qs = qs.filter(Q(reviewer_id=int(reviewer)) | Q(backup_id=int(reviewer)))
    if workflow.isdigit():
        qs = qs.filter(application__workflow_id=int(workflow))
    return RowsById(qs.order_by("due_date", "pk"), inbox_rows)


def inbox_rows(assignment_ids: list[int]) -> QuerySet:
    """The inbox rows of these assignments, with what a row shows (application, project, workflow,
    clock, reviewer A and B, items); the ids were already filtered by who may see them."""
    return (
        Assignment.objects.filter(pk__in=assignment_ids)
        .select_related("application__project", "application__workflow", "clock")
        .prefetch_related("reviewer", "backup",
                          Prefetch("items", queryset=ApplicationItem.objects.select_related("item")))
    )


def assignment_opinions(user, a: Assignment) -> list[Opinion]:
    """Every version of the assignment's opinion the user may read (oldest first), with findings."""
    qs = (
        policy.readable_opinions(user, a)
        .select_related("signed_by", "author")
        .prefetch_related(
            Prefetch("findings", queryset=Finding.objects.select_related(
                "speciality", "document_version__document", "carried_from"
            ).order_by("number")),
            Prefetch("attachments", queryset=OpinionAttachment.objects.order_by("pk")),
        )
        .order_by("version")
    )
    return list(qs)


def carried_findings(a: Assignment) -> list[Finding]:
    """The previous round's open findings of this agency (shown before the reviewer opens a draft)."""
    if not a.previous_id:
        return []
    prev = (
        Opinion.objects.filter(assignment_id=a.previous_id, state=Opinion.State.SIGNED).order_by("-version").first()
    )
    if prev is None:
        return []
    return list(prev.findings.filter(state=Finding.State.OPEN).select_related("speciality").order_by("number"))


def finding_templates(a: Assignment) -> list[FindingTemplate]:
    """The library: templates of the assignment's specialities, shared or the agency's own."""
    specs = [ai.item.speciality_id for ai in a.items.all() if ai.item.speciality_id]
    qs = FindingTemplate.objects.filter(Q(agency__isnull=True) | Q(agency_id=a.agency_id)).select_related("speciality")
    if specs:
        qs = qs.filter(speciality_id__in=specs)
    return list(qs.order_by("speciality__name", "standard", "clause")[:200])


def application_document_versions(user, a: Assignment) -> list[DocumentVersion]:
    """The versions of the application's documents the user may read on this assignment (the
    agency: its portion and the shared materials; the centre: all)."""
    return list(policy.readable_versions(user, a).order_by("document__material_code", "-number"))


@dataclass
class RoundView:
    round: ReviewRound
    assignments: list[Assignment]
    notices: list[IssuedDocument]
    other_docs: list[IssuedDocument] = field(default_factory=list)


def application_rounds(user, app: Application) -> list[RoundView]:
    """Round history as the user may see it: agencies see only their own assignments' details."""
    rounds = list(app.rounds.order_by("number"))
    assignments = Assignment.objects.filter(application=app)
    if not (policy.can_coordinate(user) or policy.can_edit_application(user, app)):
        assignments = assignments.filter(pk__in=policy.agency_assignments(user).values("pk"))  # its own only
    assignments = list(assignments.select_related("agency", "clock", "reviewer").order_by("round_number",
                                                                                          "agency__name"))
    docs = [
        d for d in IssuedDocument.objects.filter(application=app).select_related("application__project")
        .order_by("created_at") if policy.can_view_issued(user, d)
    ]
    out = []
    for r in rounds:
        out.append(RoundView(
            round=r,
            assignments=[a for a in assignments if a.round_id == r.pk],
            notices=[d for d in docs if d.round_id == r.pk and d.kind == IssuedKind.JOINT_NOTICE],
            other_docs=[d for d in docs if d.round_id == r.pk and d.kind != IssuedKind.JOINT_NOTICE],
        ))
    return out


def findings_to_answer(user, app: Application) -> list[Finding]:
    """Open findings of the current round's 'revise' opinions, once the notice is issued (owner view)."""
    if not (policy.can_edit_application(user, app) or policy.can_coordinate(user)):
        return []
    if app.status != ApplicationStatus.REVISION:
        return []
    issued = IssuedDocument.objects.filter(
        round_id=OuterRef("opinion__assignment__round_id"), kind=IssuedKind.JOINT_NOTICE,
        state=IssuedDocument.State.ISSUED,
    )
    superseded = Opinion.objects.filter(supersedes_id=OuterRef("opinion_id"))
    return list(
        Finding.objects.filter(
            opinion__assignment__application=app, opinion__assignment__round_number=app.current_round,
            opinion__state=Opinion.State.SIGNED, opinion__outcome="revise", state=Finding.State.OPEN,
        )
        .filter(Exists(issued)).exclude(Exists(superseded))
        .select_related("opinion__assignment__agency", "speciality", "document_version__document")
        .order_by("opinion__assignment__agency__name", "number")
    )


def other_issued(user, app: Application) -> list[IssuedDocument]:
    """Certificates and documents without a round, as the user may see them."""
    qs = IssuedDocument.objects.filter(application=app, round__isnull=True).select_related("application__project")
    return [d for d in qs.order_by("created_at") if policy.can_view_issued(user, d)]


COORDINATION_PAGE_SIZE = 25  # pause requests and draft notices per page
CANDIDATES_PAGE_SIZE = 50  # applications checked for a certificate per page


@dataclass
class Coordination:
    pauses: Page
    notices: Page
    ready: list[Application]
    blocked: list[tuple[Application, list[str]]]
    candidates: Page
    certificates: list[IssuedDocument] = field(default_factory=list)


def coordination(user, *, pauses_page=None, notices_page=None, candidates_page=None) -> Coordination:
    """The centre's worklist: pause requests, draft joint notices, applications ready for a certificate.

    Each list is a page (its own ``?pauses=``, ``?notices=``, ``?candidates=`` number) with the total
    count, and the certificate check runs for one page of candidates at once
    (``certificate_outstanding_many``): the query count is the same for 10 rows or 10,000."""
    policy.require_centre(user)
    pauses = Paginator(
        PauseRequest.objects.filter(status=PauseRequest.Status.REQUESTED)
        .select_related("assignment__agency", "assignment__application__project", "requested_by")
        .order_by("requested_at", "pk"), COORDINATION_PAGE_SIZE,
    ).get_page(pauses_page)
    notices = Paginator(
        IssuedDocument.objects.filter(kind=IssuedKind.JOINT_NOTICE, state=IssuedDocument.State.DRAFT)
        .select_related("application__project", "round").order_by("created_at", "pk"), COORDINATION_PAGE_SIZE,
    ).get_page(notices_page)
    open_work = Assignment.objects.filter(application=OuterRef("pk"), status__in=OPEN_ASSIGNMENT_STATUSES)
    draft_notice = IssuedDocument.objects.filter(
        application=OuterRef("pk"), kind=IssuedKind.JOINT_NOTICE, state=IssuedDocument.State.DRAFT
    )
    candidates = Paginator(
        Application.objects.filter(status=ApplicationStatus.ACCEPTED, current_round__gte=1)
        .exclude(Exists(open_work)).exclude(Exists(draft_notice))
        .select_related("project", "workflow").order_by("accepted_at", "pk"), CANDIDATES_PAGE_SIZE,
    ).get_page(candidates_page)
    outstanding = certificate_outstanding_many(candidates.object_list)
    ready = [app for app in candidates.object_list if not outstanding[app.pk]]
    blocked = [(app, outstanding[app.pk]) for app in candidates.object_list if outstanding[app.pk]]
    certificates = list(
        IssuedDocument.objects.filter(kind=IssuedKind.CERTIFICATE, state=IssuedDocument.State.ISSUED)
        .select_related("application__project").order_by("-issued_at", "-pk")[:20]
    )
    attach_budgets(user, [p.assignment.application for p in pauses] + [n.application for n in notices]
                   + list(candidates.object_list))
    return Coordination(pauses=pauses, notices=notices, ready=ready, blocked=blocked, candidates=candidates,
                        certificates=certificates)


def verify_lookup(code: str) -> IssuedDocument | None:
    """The public check: an ISSUED document with this code, or None (drafts are 'no such document')."""
    code = (code or "").strip().upper()
    if not plausible_verification_code(code):  # wrong length or characters (a NUL ...): nothing to look up
        return None
    return (
        IssuedDocument.objects.filter(verification_code=code, state=IssuedDocument.State.ISSUED)
        .select_related("application__project").first()
    )


# ---------------------------------------------------------------------------
# opinion attachments (意见附件)
# ---------------------------------------------------------------------------


def issued_round_attachments(user, app: Application) -> dict[int, list[OpinionAttachment]]:
    """round id -> the attachments of the opinions an ISSUED joint notice lists, as the user may
    download them (an agency only its own); one query for the notices, one for the attachments."""
    if not policy.can_view_application(user, app):
        return {}
    notices = IssuedDocument.objects.filter(
        application=app, kind=IssuedKind.JOINT_NOTICE, state=IssuedDocument.State.ISSUED
    ).values_list("round_id", "content")
    opinion_round: dict[int, int] = {}
    for round_id, content in notices:
        for ag in (content or {}).get("agencies", []):
            if ag.get("opinion_id"):
                opinion_round[ag["opinion_id"]] = round_id
    if not opinion_round:
        return {}
    qs = OpinionAttachment.objects.filter(
        opinion_id__in=list(opinion_round), opinion__state=Opinion.State.SIGNED,
        opinion__assignment__application=app,
    ).select_related("opinion__assignment__agency").order_by("opinion__assignment__agency__name", "pk")
    if not policy.can_coordinate(user) and not policy.can_edit_application(user, app):
        qs = qs.filter(opinion__assignment__in=policy.agency_assignments(user))
    out: dict[int, list[OpinionAttachment]] = {}
    for att in qs:
        out.setdefault(opinion_round[att.opinion_id], []).append(att)
    return out
