from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from jointreview.views import common
from jointreview.views import review as review_views

urlpatterns = [
    path("", common.home, name="home"),
    path("healthz/", common.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("clocks/", include("jointreview.urls_clocks")),
    path("api/clocks/", include("jointreview.api.clocks")),
    path("review/", include("jointreview.urls_review")),
    path("api/review/", include("jointreview.api.review")),
    path("verify/<str:code>", review_views.verify, name="verify"),
    path("verify/<str:code>/", review_views.verify, name="verify_slash"),
    path("intake/", include("jointreview.urls_intake")),
    path("api/intake/", include("jointreview.api.intake")),
]
