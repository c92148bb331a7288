from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from jointreview import policy
from jointreview.navigation import home_links

# What the header and the home page show of the menu (jointreview/navigation.py) and of the user's role
# (projects.models.Role), by URL name and by role: English message ids, translated per request. The
# labels of navigation.py and Role are still bilingual literals; until they go through gettext
# themselves, the pages show these instead.
MENU = {
    "intake:project_list": (_("My projects"), _("Register projects, apply, upload.")),
    "intake:window": (_("Intake window"), _("Check completeness, notify once, accept.")),
    "review:coordination": (_("Coordination"), _("Pauses, joint notices, certificates.")),
    "clocks:dashboard": (_("Deadlines"), _("Every clock and the 40-day timelines.")),
    "review:inbox": (_("Inbox"), _("This agency's assignments.")),
}
ROLE_LABELS = {
    "owner_staff": _("Owner staff"),
    "agency_reviewer": _("Agency reviewer"),
    "agency_lead": _("Agency lead"),
    "centre_coordinator": _("Centre coordinator"),
    "centre_admin": _("Centre admin"),
}


def _menu_by_url() -> dict[str, tuple]:
    out = {}
    for name, texts in MENU.items():
        try:
            out[reverse(name)] = texts
        except NoReverseMatch:
            continue
    return out


def _translated(links: list[dict[str, str]]) -> list[dict[str, str]]:
    by_url = _menu_by_url()
    out = []
    for link in links:
        label, help_text = by_url.get(link["url"], (link["label"], link["help"]))
        out.append({**link, "label": label, "help": help_text})
    return out


def site(request):
    context = {"CENTRE_NAME": settings.JR_CENTRE_NAME,
               # the header's language switch: each language by its own name (settings.LANGUAGES)
               "LANGUAGE_CHOICES": settings.LANGUAGES}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["home_links"] = _translated(home_links(user))
        context["show_admin"] = policy.can_use_admin(user)
        context["USER_ROLE_LABEL"] = ROLE_LABELS.get(user.role, user.role)
        # the idle-timeout warning (templates/base.html, static/js/session-timeout.js)
        context["SESSION_IDLE_SECONDS"] = settings.JR_SESSION_IDLE_SECONDS
        context["SESSION_IDLE_MINUTES"] = max(1, round(settings.JR_SESSION_IDLE_SECONDS / 60))
        context["SESSION_WARN_SECONDS"] = settings.JR_SESSION_WARN_SECONDS
    return context
