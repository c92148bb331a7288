"""One access policy (issue 8): every permission question of the product is answered here.

``can_<verb>(user, obj)`` predicates and ``access_<thing>(user, id, verb)`` fetch-and-authorise
helpers (404 alike for missing and not-yours; 403 with a reason when the user sees the object but
may not do the verb). Services, selectors, views, API views, file downloads and tasks use these and
nothing else. The role table of the README is generated from ``jointreview.policy.table``.
"""
from .accounts import can_change_user, can_grant_privileges, can_use_admin
from .applications import (
    access_application,
    application_actions,
    applications_for,
    can_check_application,
    can_edit_application,
    can_upload_material,
    can_view_application,
)
from .centre import can_coordinate, can_use_cockpit, can_use_window, can_watch_clocks, require_centre
from .core import grant, grant_many, not_found, prefetch_grants
from .documents import (
    access_assignment_version,
    access_document_version,
    can_cite_version,
    can_read_document,
    readable_versions,
)
from .issued import access_issued_document, can_issue, can_view_issued
from .notifications import (
    access_notification,
    can_read_notification,
    can_use_notifications,
    notifications_of,
    notifications_q,
)
from .projects import (
    access_project,
    budget_project_ids,
    can_apply,
    can_list_projects,
    can_register_project,
    projects_for,
)
from .review import (
    AssignmentActions,
    access_assignment,
    access_opinion,
    access_opinion_attachment,
    access_pause,
    agency_assignments,
    assignment_actions,
    can_decide_pause,
    can_end_pause,
    can_lead_agency,
    can_lead_assignment,
    can_review_assignment,
    can_use_inbox,
    can_view_assignment,
    can_view_opinion,
    inbox_is_lead,
    notice_issued,
    readable_opinions,
)
from .supervision import (
    access_extension,
    access_supervision,
    can_answer_supervision,
    can_close_supervision,
    can_decide_extension,
    can_request_extension,
    can_view_supervision,
    extensions_for,
    supervision_records_for,
)
from .surveys import access_survey_report, can_deliver_reports, survey_reports_for

__all__ = [
    "AssignmentActions", "access_application", "access_notification", "can_read_notification",
    "can_use_notifications", "notifications_of", "notifications_q", "access_assignment", "access_assignment_version",
    "access_document_version", "access_issued_document", "access_opinion", "access_opinion_attachment",
    "access_pause", "access_project", "budget_project_ids", "access_survey_report", "agency_assignments", "application_actions",
    "applications_for", "assignment_actions", "can_apply", "can_change_user", "can_check_application",
    "can_cite_version", "can_coordinate", "can_decide_pause", "can_deliver_reports", "can_edit_application",
    "can_end_pause", "can_grant_privileges", "can_issue", "can_lead_agency", "can_lead_assignment",
    "can_list_projects", "can_read_document", "can_register_project", "can_review_assignment",
    "can_upload_material", "can_use_admin", "can_use_cockpit", "can_use_inbox", "can_use_window", "can_view_application",
    "can_view_assignment", "can_view_issued", "can_view_opinion", "can_watch_clocks", "grant", "grant_many",
    "inbox_is_lead", "not_found", "prefetch_grants", "notice_issued", "projects_for", "readable_opinions", "readable_versions",
    "require_centre", "survey_reports_for",
    "access_extension", "access_supervision", "can_answer_supervision", "can_close_supervision",
    "can_decide_extension", "can_request_extension", "can_view_supervision", "extensions_for",
    "supervision_records_for",
]
