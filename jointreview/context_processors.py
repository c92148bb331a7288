from django.conf import settings

from jointreview import policy
from jointreview.navigation import home_links


def site(request):
    context = {"CENTRE_NAME": settings.JR_CENTRE_NAME,
               # the header's language switch: each language by its own name (settings.LANGUAGES)
               "LANGUAGE_CHOICES": settings.LANGUAGES}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # the menu's labels (jointreview/navigation.py) and the header's role (user.get_role_display)
        # are message ids, translated when the page is rendered
        context["home_links"] = home_links(user)
        context["show_admin"] = policy.can_use_admin(user)
        # the idle-timeout warning (templates/base.html, static/js/session-timeout.js)
        context["SESSION_IDLE_SECONDS"] = settings.JR_SESSION_IDLE_SECONDS
        context["SESSION_IDLE_MINUTES"] = max(1, round(settings.JR_SESSION_IDLE_SECONDS / 60))
        context["SESSION_WARN_SECONDS"] = settings.JR_SESSION_WARN_SECONDS
    return context
