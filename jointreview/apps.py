from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JointReviewConfig(AppConfig):
    name = "jointreview"
    verbose_name = _("Joint review")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from jointreview.logins import audit_lockout
        from jointreview.middleware import stamp_on_login

        user_locked_out.connect(audit_lockout, dispatch_uid="jointreview.audit_lockout")
        user_logged_in.connect(stamp_on_login, dispatch_uid="jointreview.stamp_session_on_login")
