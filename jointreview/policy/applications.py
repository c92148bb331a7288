"""Applications (并联申报): who sees and acts on one.

- the centre reads all and checks/accepts/returns submitted ones (rule: centre role);
- the owner's staff read and edit their own (rule: the project's owner);
- an agency reads an application it was given work on: guardian ``view_application`` granted to
  the agency's group when the application is accepted (assignment or 多测合一 report) or resubmitted.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jointreview.intake.models import IN_REVIEW_STATUSES, OWNER_EDITABLE_STATUSES, WITHDRAWABLE_STATUSES
from jointreview.models import Application, ApplicationStatus

from .core import authenticated, fetch_visible, granted_q, has_grant, is_centre, is_owner_of


def can_view_application(user, app: Application) -> bool:
    if not authenticated(user):
        return False
    if is_centre(user):
        return True
    if user.is_owner:
        return is_owner_of(user, app.project.owner_id)
    if user.is_agency:
        return has_grant(user, "view_application", app)
    return False


def can_edit_application(user, app: Application) -> bool:
    """The owner's staff act on their application (what they may do in each state, the services say)."""
    return is_owner_of(user, app.project.owner_id)


def can_check_application(user, app: Application) -> bool:
    """The window (centre) checks, returns and accepts."""
    return is_centre(user)


def applications_for(user) -> QuerySet[Application]:
    qs = Application.objects.select_related("project__owner", "workflow__stage", "clock")
    if not authenticated(user):
        return qs.none()
    if is_centre(user):
        return qs
    if user.is_owner and user.organization_id:
        return qs.filter(project__owner_id=user.organization_id)
    if user.is_agency and user.organization_id:
        return qs.filter(granted_q(user, "view_application", Application))
    return qs.none()


def access_application(user, application_id, verb: str = "view") -> Application:
    """Fetch and authorise. verb: view (anyone concerned), edit (the owner), check (the centre).
    Not visible -> 404; visible but not this verb -> 403 with the reason."""
    app = fetch_visible(Application.objects.select_related("project__owner", "workflow__stage", "clock"),
                        application_id, "application", lambda app: can_view_application(user, app))
    if verb == "edit" and not can_edit_application(user, app):
        raise PermissionDenied(_("Only the project's owner may do this."))
    if verb == "check" and not can_check_application(user, app):
        raise PermissionDenied(_("Only the centre's window staff may do this."))
    return app


def application_actions(user, app: Application) -> dict[str, bool]:
    """The actions the application page offers this user (the services decide again on submit)."""
    owner = can_edit_application(user, app)
    editable = owner and app.status in OWNER_EDITABLE_STATUSES
    return {
        "is_owner": owner,
        "editable": editable,
        "can_submit": editable,
        "can_choose": editable,
        "can_withdraw": owner and app.status in WITHDRAWABLE_STATUSES,
        "can_check": can_check_application(user, app) and app.status == ApplicationStatus.SUBMITTED,
        "sees_all_assignments": is_centre(user) or owner,
        "sees_completeness_notices": is_centre(user) or owner,
        "can_resubmit": owner and app.status == ApplicationStatus.REVISION,
        "in_review": app.status in IN_REVIEW_STATUSES,
    }


def can_upload_material(user, app: Application, *, deferred_open: bool) -> bool:
    if not can_edit_application(user, app):
        return False
    return (
        app.status in OWNER_EDITABLE_STATUSES
        or app.status == ApplicationStatus.REVISION
        or (app.status == ApplicationStatus.ACCEPTED and deferred_open)
    )
