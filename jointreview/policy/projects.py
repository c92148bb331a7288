"""Projects: the centre reads every project; an owner's staff read and act on their organization's
projects (rule: ``project.owner == user.organization``; the owner relation is the record, no grant)."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from projects.models import Project

from .core import authenticated, fetch_visible, is_centre, is_owner_of


def can_view_project(user, project: Project) -> bool:
    return is_centre(user) or is_owner_of(user, project.owner_id)


def can_apply(user, project: Project) -> bool:
    """Open an application of the project: its owner only."""
    return is_owner_of(user, project.owner_id)


def can_register_project(user) -> bool:
    return authenticated(user) and bool(user.is_owner) and user.organization_id is not None


def can_list_projects(user) -> bool:
    return is_centre(user) or can_register_project(user)


def projects_for(user) -> QuerySet[Project]:
    qs = Project.objects.select_related("owner", "zone")
    if is_centre(user):
        return qs
    if can_register_project(user):
        return qs.filter(owner_id=user.organization_id)
    return qs.none()


def access_project(user, project_id, verb: str = "view") -> Project:
    """verb: view (centre, owner) or apply (owner)."""
    project = fetch_visible(Project.objects.select_related("owner", "zone"), project_id, "project",
                            lambda project: can_view_project(user, project))
    if verb == "apply" and not can_apply(user, project):
        raise PermissionDenied(_("Only the project's owner may open an application."))
    return project


def budget_project_ids(user, project_ids) -> set[int]:
    """Which of ``project_ids`` the user may see the filing-to-permit budget of: the centre every project; an
    owner's staff their organization's projects; an agency's staff the projects it holds an assignment on."""
    from jointreview.models import Assignment  # the review models load after projects

    ids = {int(pk) for pk in project_ids}
    if not ids or not authenticated(user):
        return set()
    if is_centre(user):
        return ids
    org = user.organization_id
    if org is None:
        return set()
    if user.is_owner:
        return set(Project.objects.filter(pk__in=ids, owner_id=org).values_list("pk", flat=True))
    if not user.is_agency:
        return set()
    return set(
        Assignment.objects.filter(application__project_id__in=ids, agency_id=org)
        .values_list("application__project_id", flat=True).distinct()
    )
