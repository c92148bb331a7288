"""Project documents and their immutable versions.

- the centre reads every document (rule);
- the owner's staff read their projects' documents (rule: the project's owner);
- an agency reads a document only if its group holds ``view_document`` on it: its portion of an
  application it works on (policy/portions.py), or a 多测合一 report addressed to it / delivered by it.
"""
from __future__ import annotations

from django.db.models import QuerySet

from jointreview.models import ApplicationMaterial, Assignment
from projects.models import Document, DocumentVersion

from .core import authenticated, fetch_visible, granted_q, has_grant, is_centre, is_owner_of, not_found


def can_read_document(user, document: Document) -> bool:
    if not authenticated(user):
        return False
    if is_centre(user):
        return True
    if user.is_owner:
        return is_owner_of(user, document.project.owner_id)
    if user.is_agency:
        return has_grant(user, "view_document", document)
    return False


def access_document_version(user, version_id) -> DocumentVersion:
    version = fetch_visible(DocumentVersion.objects.select_related("document__project"), version_id, "document",
                            lambda version: can_read_document(user, version.document))
    return version


def readable_versions(user, assignment: Assignment) -> QuerySet[DocumentVersion]:
    """Versions of the application's documents that the user may read: for the agency, its portion
    (one query with a subquery on the grants, no per-row check); for the centre, all."""
    doc_ids = ApplicationMaterial.objects.filter(application_id=assignment.application_id).exclude(
        document=None
    ).values("document_id")
    qs = DocumentVersion.objects.filter(document_id__in=doc_ids).select_related("document")
    if is_centre(user):
        return qs
    if authenticated(user) and user.is_agency and user.organization_id == assignment.agency_id:
        return qs.filter(granted_q(user, "view_document", Document, field="document_id"))
    return qs.none()


def access_assignment_version(user, assignment: Assignment, version_id) -> DocumentVersion:
    """A version read from an assignment's page: it must be one of the application's documents AND
    within what the user may read."""
    try:
        version_id = int(version_id)
    except (TypeError, ValueError):
        raise not_found("document version") from None
    dv = readable_versions(user, assignment).filter(pk=version_id).first()
    if dv is None:
        raise not_found("document version")
    return dv


def can_cite_version(user, assignment: Assignment, version_id: int) -> bool:
    """A finding may point only at a version the reviewer may read on this assignment."""
    return readable_versions(user, assignment).filter(pk=version_id).exists()
