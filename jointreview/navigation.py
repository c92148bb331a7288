"""The menu per audience. Entries whose URL is not (yet) defined are skipped."""
from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# (audience, url name, label, one-line help): English message ids, translated when a page shows them
ENTRIES: list[tuple[str, str, Promise, Promise]] = [
    ("owner", "intake:project_list", _("My projects"), _("Register projects, apply, upload.")),
    ("centre", "cockpit:cockpit", _("Cockpit"), _("Every open case: filters, counts, export.")),
    ("centre", "intake:window", _("Intake window"), _("Check completeness, notify once, accept.")),
    ("centre", "review:coordination", _("Coordination"), _("Pauses, joint notices, certificates.")),
    ("centre", "clocks:dashboard", _("Deadlines"), _("Every clock and the 40-day timelines.")),
    ("agency", "review:inbox", _("Inbox"), _("This agency's assignments.")),
    ("centre", "supervision:list", _("Supervision"), _("Supervision records (电子监察): answer, close, escalations.")),
    ("agency", "supervision:list", _("Supervision"), _("Supervision records addressed to you, extensions to decide.")),
]


def links_for(user) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {"owner": [], "centre": [], "agency": []}
    for audience, name, label, help_text in ENTRIES:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        out[audience].append({"url": url, "label": label, "help": help_text})
    return out


def home_links(user) -> list[dict]:
    from jointreview import policy

    links = links_for(user)
    if policy.can_register_project(user):
        return links["owner"]
    if policy.can_use_inbox(user):
        return links["agency"]
    if policy.can_coordinate(user):
        return links["centre"]
    return []
