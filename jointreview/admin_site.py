"""The admin site: only centre admins (and superusers) get in."""
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.sites import AdminSite


class CentreAdminSite(AdminSite):
    site_header = "联合审查 jointreview — 管理 administration"
    site_title = "jointreview admin"
    index_title = "目录与基础数据 Catalogue and reference data"

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and (user.is_superuser or getattr(user, "role", "") == "centre_admin"))


class CentreAdminConfig(AdminConfig):
    default_site = "jointreview.admin_site.CentreAdminSite"
