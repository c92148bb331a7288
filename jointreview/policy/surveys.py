"""多测合一 reports (分编报告): each receiving department sees only its own report; the surveying
firm (the agency with the application's assignment) delivers and reads every report of it; the
owner and the centre read all."""
from __future__ import annotations

from django.db.models import QuerySet

from jointreview.models import Application, SurveyReport

from .core import authenticated, fetch_visible, has_grant, is_centre, is_owner_of


def is_surveying_firm(user, app: Application) -> bool:
    return (
        authenticated(user) and bool(user.is_agency)
        and app.assignments.filter(agency_id=user.organization_id).exists()
        and has_grant(user, "view_application", app)
    )


def survey_reports_for(user, app: Application) -> QuerySet[SurveyReport]:
    qs = app.survey_reports.select_related("department", "document_version")
    if is_centre(user) or is_owner_of(user, app.project.owner_id):
        return qs
    if authenticated(user) and user.is_agency:
        if is_surveying_firm(user, app):
            return qs
        return qs.filter(department_id=user.organization_id)
    return qs.none()


def access_survey_report(user, report_id, verb: str = "view") -> SurveyReport:
    """verb: view, or deliver (the surveying firm only; the service checks the state)."""
    report = fetch_visible(
        SurveyReport.objects.select_related("application__project", "department"), report_id, "report",
        lambda report: survey_reports_for(user, report.application).filter(pk=report.pk).exists(),
    )
    if verb == "deliver" and not is_surveying_firm(user, report.application):
        from django.core.exceptions import PermissionDenied
        from django.utils.translation import gettext as _

        raise PermissionDenied(_("Only the surveying firm may deliver reports."))
    return report


def can_deliver_reports(user, app: Application) -> bool:
    from jointreview.intake.models import IN_REVIEW_STATUSES

    return app.status in IN_REVIEW_STATUSES and is_surveying_firm(user, app)
