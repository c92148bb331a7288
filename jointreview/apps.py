from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JointReviewConfig(AppConfig):
    name = "jointreview"
    verbose_name = _("Joint review")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in
        from django.core.signals import request_finished
        from django.db.models.signals import post_migrate

        from jointreview.logins import audit_lockout
        from jointreview.middleware import stamp_on_login
        from jointreview.observability import forget_request_id
        from jointreview.policy.core import forget_permission_ids

        user_locked_out.connect(audit_lockout, dispatch_uid="jointreview.audit_lockout")
        user_logged_in.connect(stamp_on_login, dispatch_uid="jointreview.stamp_session_on_login")
        # the request id outlives the middleware until the response is closed: Django's own log line of
        # the response (django.request, after every middleware) names it too
        request_finished.connect(forget_request_id, dispatch_uid="jointreview.forget_request_id")
        # permissions are created (with new ids after a flush) on post_migrate: grant_many's memo of their ids
        # is emptied then
        post_migrate.connect(forget_permission_ids, dispatch_uid="jointreview.forget_permission_ids")
