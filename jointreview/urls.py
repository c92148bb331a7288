from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from jointreview import middleware_language
from jointreview.review import views as review_views
from jointreview.views import common

urlpatterns = [
    path("", common.home, name="home"),
    path("healthz/", common.healthz, name="healthz"),
    path("accounts/login/", common.LoginView.as_view(), name="login"),
    path("accounts/logout/", common.LogoutView.as_view(), name="logout"),
    path("accounts/keepalive/", common.keepalive, name="keepalive"),
    path("accounts/language/", middleware_language.set_language, name="language"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("admin/", admin.site.urls),
    # both need a login: the schema answers 403 to anonymous callers (SPECTACULAR_SETTINGS), the docs
    # page sends them to the login page. The split view serves its start-up script from a URL instead
    # of inline, so it runs under the site's CSP (templates/api/swagger_ui.html drops the inline style);
    # Swagger UI's icons are data: SVG images, allowed on this page only.
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", csp_update({"img-src": ["data:"]})(login_required(SpectacularSwaggerSplitView.as_view(
        url_name="api-schema", template_name="api/swagger_ui.html"))), name="api-docs"),
    path("clocks/", include("jointreview.clocks.urls")),
    path("cockpit/", include("jointreview.cockpit.urls")),
    path("api/clocks/", include("jointreview.clocks.api")),
    path("review/", include("jointreview.review.urls")),
    path("api/review/", include("jointreview.review.api")),
    path("verify/<str:code>", review_views.verify, name="verify"),
    path("verify/<str:code>/", review_views.verify, name="verify_slash"),
    path("intake/", include("jointreview.intake.urls")),
    path("supervision/", include("jointreview.supervision.urls")),
    path("api/intake/", include("jointreview.intake.api")),
    path("notifications/", include("jointreview.notifications.urls")),
    path("api/notifications/", include("jointreview.notifications.api")),
]

# a database outage anywhere in a request is a 503 with a retry hint, anything else our own 500 page
# (jointreview/outage.py)
handler500 = "jointreview.outage.server_error"
