"""URLs of the review (included at review/). The public check /verify/<code> is in jointreview/urls.py."""
from django.urls import path

from jointreview.review import views as v

app_name = "review"
urlpatterns = [
    path("", v.inbox, name="inbox"),
    path("coordination/", v.coordination, name="coordination"),
    path("assignments/<int:assignment_id>/", v.assignment_detail, name="assignment"),
    path("assignments/<int:assignment_id>/assign/", v.assignment_assign, name="assign"),
    path("assignments/<int:assignment_id>/absent/", v.member_absent, name="member_absent"),
    path("assignments/<int:assignment_id>/opinion/", v.opinion_save, name="opinion_save"),
    path("assignments/<int:assignment_id>/opinion/sign/", v.opinion_sign, name="opinion_sign"),
    path("assignments/<int:assignment_id>/opinion/correct/", v.opinion_correct, name="opinion_correct"),
    path("assignments/<int:assignment_id>/findings/", v.finding_add, name="finding_add"),
    path("assignments/<int:assignment_id>/findings/<int:finding_id>/", v.finding_update, name="finding_update"),
    path("assignments/<int:assignment_id>/findings/<int:finding_id>/remove/", v.finding_remove,
         name="finding_remove"),
    path("assignments/<int:assignment_id>/pause/", v.pause_request, name="pause_request"),
    path("assignments/<int:assignment_id>/documents/<int:version_id>/", v.document_version, name="document_version"),
    path("pauses/<int:pause_id>/decide/", v.pause_decide, name="pause_decide"),
    path("pauses/<int:pause_id>/end/", v.pause_end, name="pause_end"),
    path("notices/<int:notice_id>/issue/", v.notice_issue, name="notice_issue"),
    path("documents/<int:document_id>/pdf/", v.issued_file, name="issued_file"),
    path("applications/<int:application_id>/rounds/", v.application_rounds, name="application_rounds"),
    path("applications/<int:application_id>/certificate/", v.certificate_issue, name="certificate_issue"),
    path("applications/<int:application_id>/findings/<int:finding_id>/answer/", v.finding_respond,
         name="finding_respond"),
    path("applications/<int:application_id>/resubmit/", v.application_resubmit, name="application_resubmit"),
    path("assignments/<int:assignment_id>/attachments/", v.attachment_upload, name="attachment_upload"),
    path("attachments/<int:attachment_id>/", v.attachment_download, name="attachment_download"),
    path("attachments/<int:attachment_id>/remove/", v.attachment_remove, name="attachment_remove"),
]
