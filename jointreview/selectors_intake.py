"""Permission-aware reads of the intake (DESIGN.md 3.3): who may see which project, application,
document and survey report. Missing and not-yours answer the same 404 (``access.not_found``).

- centre users (coordinator/admin) read everything;
- owners read their organization's projects and applications;
- agencies read an application only through an assignment of theirs (guardian ``view_application``
  granted at acceptance), documents through ``view_document`` grants, and of the survey reports of
  多测合一 only their own department's (the surveying firm reads every report of its assignment).
"""
from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from jointreview.access import not_found
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
    SurveyReport,
)
from projects.models import AgencyType, Document, DocumentVersion, Organization, OrganizationKind, Project

OWNER_PERMS = {"view", "edit"}
CENTRE_PERMS = {"view", "check"}
AGENCY_PERMS = {"view"}


# --------------------------------------------------------------------------------------------- projects


def projects_for(user) -> QuerySet[Project]:
    qs = Project.objects.select_related("owner", "zone")
    if user.is_centre:
        return qs
    if user.is_owner and user.organization_id:
        return qs.filter(owner_id=user.organization_id)
    return qs.none()


def access_project(user, project_id) -> Project:
    try:
        return projects_for(user).get(pk=project_id)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise not_found("project") from None


# --------------------------------------------------------------------------------------------- applications


def applications_for(user) -> QuerySet[Application]:
    qs = Application.objects.select_related("project__owner", "workflow__stage", "clock")
    if user.is_centre:
        return qs
    if user.is_owner and user.organization_id:
        return qs.filter(project__owner_id=user.organization_id)
    if user.is_agency and user.organization_id:
        # through assignments (and, for 多测合一 departments, their survey report) only
        return qs.filter(
            Q(pk__in=Assignment.objects.filter(agency_id=user.organization_id).values("application_id"))
            | Q(pk__in=SurveyReport.objects.filter(department_id=user.organization_id).values("application_id"))
        )
    return qs.none()


def access_application(user, application_id, perm: str = "view") -> Application:
    """Fetch and authorise. perm: "view" (anyone concerned), "edit" (the owner), "check" (the centre)."""
    if user.is_centre:
        allowed = CENTRE_PERMS
    elif user.is_owner:
        allowed = OWNER_PERMS
    elif user.is_agency:
        allowed = AGENCY_PERMS
    else:
        allowed = set()
    if perm not in allowed:
        raise not_found("application")
    try:
        app = applications_for(user).get(pk=application_id)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise not_found("application") from None
    if user.is_agency and not user.has_perm("jointreview.view_application", app):
        raise not_found("application")
    return app


def window_queue(user) -> QuerySet[Application]:
    """The centre's queue: submitted applications first (oldest first), then the recent others."""
    if not user.is_centre:
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


def access_issued_document(user, issued_id) -> IssuedDocument:
    """Completeness notices: the centre, and the owner of the application (issued ones only)."""
    try:
        doc = IssuedDocument.objects.select_related("application__project").get(pk=issued_id)
    except (IssuedDocument.DoesNotExist, ValueError, TypeError):
        raise not_found("document") from None
    if user.is_centre:
        return doc
    if (
        user.is_owner and doc.application.project.owner_id == user.organization_id
        and doc.state == IssuedDocument.State.ISSUED
    ):
        return doc
    raise not_found("document")


# --------------------------------------------------------------------------------------------- documents


def can_read_document(user, document: Document) -> bool:
    if user.is_centre:
        return True
    if user.is_owner:
        return document.project.owner_id == user.organization_id
    if user.is_agency:
        return user.has_perm("projects.view_document", document)
    return False


def access_document_version(user, version_id) -> DocumentVersion:
    """Owner of the project, the centre, or an agency granted the document (assignment or own report)."""
    try:
        version = DocumentVersion.objects.select_related("document__project").get(pk=version_id)
    except (DocumentVersion.DoesNotExist, ValueError, TypeError):
        raise not_found("document") from None
    if not can_read_document(user, version.document):
        raise not_found("document")
    if user.is_agency and version.document.material_code.startswith("survey-report-"):
        # a department sees only its own report; the surveying firm sees those of its assignments
        own = SurveyReport.objects.filter(document_version__document=version.document).filter(
            Q(department_id=user.organization_id)
            | Q(application__assignments__agency_id=user.organization_id)
        )
        if not own.exists():
            raise not_found("document")
    return version


# --------------------------------------------------------------------------------------------- 多测合一


def survey_reports_for(user, app: Application) -> QuerySet[SurveyReport]:
    qs = app.survey_reports.select_related("department", "document_version")
    if user.is_centre or (user.is_owner and app.project.owner_id == user.organization_id):
        return qs
    if user.is_agency:
        if app.assignments.filter(agency_id=user.organization_id).exists():
            return qs  # the surveying firm delivers every report
        return qs.filter(department_id=user.organization_id)
    return qs.none()


def access_survey_report(user, report_id) -> SurveyReport:
    try:
        report = SurveyReport.objects.select_related("application__project", "department").get(pk=report_id)
    except (SurveyReport.DoesNotExist, ValueError, TypeError):
        raise not_found("report") from None
    if not survey_reports_for(user, report.application).filter(pk=report.pk).exists():
        raise not_found("report")
    return report


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


def visible_assignments(user) -> QuerySet[Assignment]:
    """An agency sees only its own assignments; the centre all; owners those of their applications."""
    qs = Assignment.objects.select_related("application__project", "agency", "clock")
    if user.is_centre:
        return qs
    if user.is_agency and user.organization_id:
        return get_objects_for_user(
            user, "jointreview.view_assignment", klass=qs, accept_global_perms=False
        )
    if user.is_owner and user.organization_id:
        return qs.filter(application__project__owner_id=user.organization_id)
    return qs.none()
