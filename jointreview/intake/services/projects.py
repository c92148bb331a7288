"""Registering a construction project (建设单位)."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.services import common
from jointreview.services.errors import PermissionDeniedError, ServiceError
from projects.models import Project

PROJECT_FIELDS = (
    "code", "name", "location", "flow_type", "land_acquisition", "land_with_scheme", "floor_area",
    "underground_area", "height_m", "investment", "special_construction", "filing_date", "zone",
)


@transaction.atomic
def project_register(*, actor, **fields: Any) -> Project:
    """Register a construction project of the actor's organization (建设单位)."""
    if not getattr(actor, "is_owner", False) or actor.organization_id is None:
        raise PermissionDeniedError(_("Only a project owner may register projects."))
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise ServiceError(_("Unknown project fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    project = Project(owner_id=actor.organization_id, **fields)
    common.full_clean(project)
    project.save()  # the owner reads and acts on it by rule (jointreview/policy/projects.py): no grant
    audit_record(actor=actor, verb=AuditVerb.PROJECT_REGISTER, target=project, after={"code": project.code,
                                                                              "name": project.name})
    return project
