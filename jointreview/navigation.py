"""The menu per audience. Entries whose URL is not (yet) defined are skipped."""
from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy

# (audience, url name, label, one-line help)
ENTRIES: list[tuple[str, str, str, str]] = [
    ("owner", "intake:project_list", "我的项目 My projects", "登记项目、发起联合审批、上传材料 Register projects, apply, upload."),
    ("centre", "cockpit:cockpit", gettext_lazy("Cockpit"), gettext_lazy("Every open case: filters, counts, export.")),
    ("centre", "intake:window", "受理窗口 Intake window", "完整性审查、一次告知、受理 Check completeness, notify once, accept."),
    ("centre", "review:coordination", "审查协调 Coordination", "暂停申请、意见汇总、发证 Pauses, joint notices, certificates."),
    ("centre", "clocks:dashboard", "时限监察 Deadlines", "全部计时与40个工作日 Every clock and the 40-day timelines."),
    ("agency", "review:inbox", "审查任务 Inbox", "本机构的审查任务 This agency's assignments."),
]


def links_for(user) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {"owner": [], "centre": [], "agency": []}
    for audience, name, label, help_text in ENTRIES:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        out[audience].append({"url": url, "label": label, "help": help_text})
    return out


def home_links(user) -> list[dict[str, str]]:
    from jointreview import policy

    links = links_for(user)
    if policy.can_register_project(user):
        return links["owner"]
    if policy.can_use_inbox(user):
        return links["agency"]
    if policy.can_coordinate(user):
        return links["centre"]
    return []
