from django.urls import path

from jointreview.views import clocks

app_name = "clocks"

urlpatterns = [
    path("", clocks.dashboard, name="dashboard"),
]
