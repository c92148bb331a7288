"""多测合一: the firm delivers one report per receiving department."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.services import audit_record, notify
from jointreview.audit.verbs import AuditVerb
from jointreview.intake.services.uploads import _read_upload, _store_version, validate_upload
from jointreview.models import ApplicationStatus, SurveyReport
from jointreview.policy import grant_many
from jointreview.services.errors import ConflictError, PermissionDeniedError, ServiceError
from projects.models import Document, Organization


@transaction.atomic
def survey_report_deliver(*, actor, report: SurveyReport | int, upload, note: str = "") -> SurveyReport:
    """The surveying firm uploads one department's report; only that department (and the centre,
    the owner and the firm) can read it."""
    pk = report.pk if isinstance(report, SurveyReport) else report
    try:
        report = SurveyReport.objects.select_for_update().select_related("application__project", "department").get(
            pk=pk
        )
    except SurveyReport.DoesNotExist:
        raise ServiceError(_("No such report.")) from None
    app = report.application
    firm_ids = set(
        app.assignments.filter(round_number=app.current_round or 1).values_list("agency_id", flat=True)
    )
    if not (getattr(actor, "is_agency", False) and actor.organization_id in firm_ids):
        raise PermissionDeniedError(_("Only the surveying firm may deliver reports."))
    if app.status not in (ApplicationStatus.ACCEPTED, ApplicationStatus.REVISION):
        raise ConflictError(_("The application is not in review: no survey report can be delivered."))
    name, data = _read_upload(upload)
    name, content_type = validate_upload(name=name, data=data, accepted_types="pdf,zip,ofd")
    doc, _created = Document.objects.get_or_create(
        project=app.project, material_code=f"survey-report-{app.pk}-{report.department_id}"[:60],
        defaults={"title": report.title[:200]},
    )
    version = _store_version(actor=actor, document=doc, name=name, data=data, content_type=content_type, note=note)
    before = {"document_version": report.document_version_id}
    report.document_version = version
    report.delivered_at = timezone.now()
    report.save(update_fields=["document_version", "delivered_at"])
    # the receiving department and the firm that delivered it (the owner and the centre by rule)
    firm = Organization.objects.get(pk=actor.organization_id)
    grant_many([("view_document", report.department, doc), ("view_document", firm, doc)])
    audit_record(actor=actor, verb=AuditVerb.SURVEY_REPORT_DELIVER, target=report, application=app, before=before,
                 after={"document_version": version.pk, "sha256": version.sha256})
    notify(key=f"survey-report-{report.pk}-v{version.number}", kind=NotificationKind.SURVEY_REPORT,
           organization_id=report.department_id, params={"number": app.number}, application=app)
    return report
