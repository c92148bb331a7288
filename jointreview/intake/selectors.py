"""Reads of the intake that are not permission decisions: the window queue, an application's items,
materials and one-time notices, the intermediary registry. Who may see what is decided in
``jointreview.policy`` (projects, applications, documents, survey reports).
"""
from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from jointreview import policy
from jointreview.models import (
    Application,
    ApplicationItem,
    ApplicationMaterial,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    IssuedDocument,
    IssuedKind,
    Item,
    Opinion,
)
from jointreview.paging import RowsById
from projects.models import AgencyType, DocumentVersion, Organization, OrganizationKind

# --------------------------------------------------------------------------------------------- window


def application_rows(application_ids: list[int]) -> QuerySet[Application]:
    """Applications by id with what a list row shows (project and owner, workflow and stage, clock); the
    ids were already filtered by who may see them (``policy.applications_for``)."""
    return Application.objects.filter(pk__in=application_ids).select_related("project__owner", "workflow__stage",
                                                                             "clock")


def recent_applications(user, *, limit: int = 30) -> list[Application]:
    """The window's recent applications (neither draft nor waiting in the queue), newest first."""
    qs = policy.applications_for(user).exclude(status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.DRAFT])
    return RowsById(qs.order_by("-created_at", "-pk"), application_rows)[:limit]


def window_queue(user) -> QuerySet[Application]:
    """The centre's queue: submitted applications first (oldest first), then the recent others."""
    if not policy.can_use_window(user):
        return Application.objects.none()
    return (
        Application.objects.filter(status=ApplicationStatus.SUBMITTED)
        .select_related("project__owner", "workflow")
        .annotate(n_materials=Count("materials"))
        .order_by("submitted_at", "pk")
    )


def application_items(app: Application) -> QuerySet[ApplicationItem]:
    return app.items.select_related("item__agency", "item__speciality", "agency", "regional_evaluation")


def application_materials(app: Application) -> QuerySet[ApplicationMaterial]:
    latest = DocumentVersion.objects.order_by("document_id", "-number")
    return app.materials.select_related("material__item", "document", "checked_by").prefetch_related(
        Prefetch("document__versions", queryset=latest, to_attr="all_versions")
    )


def completeness_notices(app: Application) -> QuerySet[IssuedDocument]:
    return app.issued_documents.filter(kind=IssuedKind.COMPLETENESS_NOTICE).prefetch_related(
        "defects__material__item"
    ).order_by("-created_at")


# --------------------------------------------------------------------------------------------- registry


def intermediary_registry(item: Item | None = None) -> QuerySet[Organization]:
    """The intermediary registry (中介超市) for a competitive item: active intermediary firms whose
    specialities fit the item (any firm when the item names none), with credit rating and the past
    on-time rate = share of the firm's signed assignments signed on or before their due date."""
    signed_on_time = Opinion.objects.filter(
        assignment_id=OuterRef("pk"), state=Opinion.State.SIGNED, signed_at__date__lte=OuterRef("due_date")
    )
    on_time_ids = Assignment.objects.filter(status=AssignmentStatus.SIGNED, due_date__isnull=False).filter(
        Exists(signed_on_time)
    )
    qs = Organization.objects.filter(
        kind=OrganizationKind.AGENCY, agency_type=AgencyType.INTERMEDIARY, is_active=True
    )
    if item is not None and item.speciality_id:
        qs = qs.filter(specialities=item.speciality_id)
    return qs.annotate(
        signed_count=Count("assignments", filter=Q(assignments__status=AssignmentStatus.SIGNED), distinct=True),
        on_time_count=Count("assignments", filter=Q(assignments__in=on_time_ids.values("pk")), distinct=True),
    ).order_by("-credit_rating", "name")


def on_time_rate(org) -> float | None:
    """Share (0..1) or None when the firm has no signed assignment yet."""
    if not getattr(org, "signed_count", 0):
        return None
    return org.on_time_count / org.signed_count
