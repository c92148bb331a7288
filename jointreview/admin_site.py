"""The admin site: only centre admins (and superusers) get in."""
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.sites import AdminSite
from django.utils.translation import gettext_lazy as _


class CentreAdminSite(AdminSite):
    site_header = _("Joint review administration")
    site_title = _("Joint review admin")
    index_title = _("Catalogue and reference data")

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and (user.is_superuser or getattr(user, "role", "") == "centre_admin"))


class CentreAdminConfig(AdminConfig):
    default_site = "jointreview.admin_site.CentreAdminSite"
