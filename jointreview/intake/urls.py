from django.urls import path

from jointreview.intake import views

app_name = "intake"
urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_register, name="project_register"),
    path("projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/apply/", views.application_open, name="application_open"),
    path("applications/<int:application_id>/", views.application_detail, name="application_detail"),
    path("applications/<int:application_id>/items/<int:item_id>/choose/", views.application_choose,
         name="application_choose"),
    path("applications/<int:application_id>/materials/<int:material_id>/upload/", views.material_upload,
         name="material_upload"),
    path("applications/<int:application_id>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:application_id>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("window/", views.window, name="window"),
    path("applications/<int:application_id>/check/", views.application_check, name="application_check"),
    path("applications/<int:application_id>/return/", views.application_return, name="application_return"),
    path("applications/<int:application_id>/accept/", views.application_accept, name="application_accept"),
    path("notices/<int:notice_id>.pdf", views.notice_pdf, name="notice_pdf"),
    path("documents/<int:version_id>/", views.document_download, name="document_download"),
    path("survey-reports/<int:report_id>/deliver/", views.survey_report_deliver, name="survey_report_deliver"),
]
