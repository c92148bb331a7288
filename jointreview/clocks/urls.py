from django.urls import path

from jointreview.clocks import views as clocks

app_name = "clocks"

urlpatterns = [
    path("", clocks.dashboard, name="dashboard"),
]
