from django.urls import path

from jointreview.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.record_list, name="list"),
    path("<int:record_id>/", views.record_detail, name="detail"),
    path("<int:record_id>/answer/", views.record_answer, name="answer"),
    path("<int:record_id>/close/", views.record_close, name="close"),
    path("extensions/assignment/<int:assignment_id>/", views.extension_request, name="extension_request"),
    path("extensions/<int:extension_id>/decide/", views.extension_decide, name="extension_decide"),
]
