"""Centre administrators manage the catalogue and reference data in the Django admin.

This backend gives an active centre admin every *model-level* permission (obj is None), which is
what the admin checks. It grants nothing on individual objects: application code authorises through
the object permissions of django-guardian and the `access_*` selectors, never through global perms.
"""
from __future__ import annotations

from django.contrib.auth.backends import BaseBackend

# Apps only a superuser administers: beat schedules (switching off a safety net), groups and raw
# permissions (membership follows the organization; grants are written by the services).
SUPERUSER_APPS = frozenset({"django_celery_beat", "auth", "guardian"})


class CentreAdminBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if obj is not None or perm.split(".", 1)[0] in SUPERUSER_APPS:
            return False
        return bool(user_obj.is_active and getattr(user_obj, "role", "") == "centre_admin")

    def has_module_perms(self, user_obj, app_label):
        if app_label in SUPERUSER_APPS:
            return False
        return bool(user_obj.is_active and getattr(user_obj, "role", "") == "centre_admin")
