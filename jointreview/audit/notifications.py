"""In-app notifications: their kinds, their texts, and the one way to send them (docs/architecture.md §3.2).

A notification is stored as its kind and its parameters (application number, agency, dates, a free
note), never as rendered text: each reader sees it in their own language (the page language, or for
the e-mail copy the recipient's ``User.language``), and a translation fixed later fixes old
notifications too. A new kind of notification adds a member here and its texts in ``TEXTS``;
``notify`` refuses a kind that is not listed.

Parameters are plain JSON values; dates are stored as ISO strings and shown in the reader's date
format (``DATE_PARAMS``). ``note`` is free text written by a person (a refusal reason, a pause
reason): shown as written, below the text of the kind.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class NotificationKind(models.TextChoices):
    ACCEPTED = "accepted", _("Application accepted")
    ASSIGNMENT = "assignment", _("New assignment")
    ASSIGNMENT_ASSIGNED = "assignment_assigned", _("Reviewer assigned")
    FANOUT_FAILED = "fanout_failed", _("Agency could not be notified")
    COMPLETENESS_NOTICE = "completeness_notice", _("One-time notice")
    SURVEY_REPORT = "survey_report", _("Survey report delivered")
    PAUSE_REQUESTED = "pause_requested", _("Pause requested")
    PAUSE_REFUSED = "pause_refused", _("Pause refused")
    PAUSE_APPROVED = "pause_approved", _("Pause approved")
    PAUSE_NOTICE = "pause_notice", _("Clock paused")
    PAUSE_ENDED = "pause_ended", _("Clock resumed")
    NOTICE_DRAFTED = "notice_drafted", _("Joint notice ready to issue")
    JOINT_NOTICE = "joint_notice", _("Joint notice issued")
    CERTIFICATE = "certificate", _("Certificate issued")
    CLOCK_YELLOW = "clock_yellow", _("Deadline near")
    CLOCK_RED = "clock_red", _("Deadline passed")
    CALENDAR_MISSING = "calendar_missing", _("Holiday schedule missing")
    SUPERVISION = "supervision", _("Supervision record")
    SUPERVISION_ANSWERED = "supervision_answered", _("Supervision record answered")
    DEFERRAL_OVERDUE = "deferral_overdue", _("Deferred material overdue")
    EXTENSION_REQUESTED = "extension_requested", _("Clock extension requested")
    EXTENSION_APPROVED = "extension_approved", _("Clock extension approved")
    EXTENSION_REFUSED = "extension_refused", _("Clock extension refused")


# (subject, body) per kind: English message ids with named parameters; body may be empty.
TEXTS: dict[str, tuple[Any, Any]] = {
    NotificationKind.ACCEPTED: (
        _("Accepted: %(number)s %(workflow)s"),
        _("Accepted on %(accepted_on)s; to be completed by %(due)s."),
    ),
    NotificationKind.ASSIGNMENT: (
        _("New assignment: %(number)s %(workflow)s"),
        _("%(agency)s: the %(workflow)s application %(number)s of the project “%(project)s” was accepted; "
          "your opinion is due by %(due)s (round %(round)s)."),
    ),
    NotificationKind.ASSIGNMENT_ASSIGNED: (_("You are reviewer %(role)s: %(number)s"), ""),
    NotificationKind.FANOUT_FAILED: (
        _("Notification failed: %(number)s / %(agency)s"),
        _("The agency could not be notified after %(attempts)s dispatches; contact it directly."),
    ),
    NotificationKind.COMPLETENESS_NOTICE: (
        _("One-time notice: %(number)s, %(count)s materials to supplement"),
        _("Notice %(document)s lists what to supplement."),
    ),
    NotificationKind.SURVEY_REPORT: (_("Survey report delivered: %(number)s"), ""),
    NotificationKind.PAUSE_REQUESTED: (_("Pause requested: %(number)s / %(agency)s"), ""),
    NotificationKind.PAUSE_REFUSED: (_("Pause refused: %(number)s"), ""),
    NotificationKind.PAUSE_APPROVED: (_("Pause approved: %(number)s"), ""),
    NotificationKind.PAUSE_NOTICE: (
        _("Clock paused: %(number)s / %(agency)s"),
        _("Under article 45 of the Administrative Licensing Law, %(agency)s paused its clock from %(on)s "
          "(%(reason)s), expected %(days)s working days; this time is not counted. Notice %(document)s."),
    ),
    NotificationKind.PAUSE_ENDED: (
        _("Clock resumed: %(number)s / %(agency)s"),
        _("The clock runs again from %(on)s; the new due date is %(due)s."),
    ),
    NotificationKind.NOTICE_DRAFTED: (_("Joint notice ready to issue: %(number)s, round %(round)s"), ""),
    NotificationKind.JOINT_NOTICE: (
        _("Joint notice issued: %(document)s"),
        _("The round %(round)s notice of %(number)s (%(project)s) is issued: %(conclusion)s"),
    ),
    NotificationKind.CERTIFICATE: (_("%(title)s %(document)s: %(project)s"), ""),
    NotificationKind.CLOCK_YELLOW: (_("Due soon: %(what)s, due %(due)s"), ""),
    NotificationKind.CLOCK_RED: (_("Overdue: %(what)s, due %(due)s"), ""),
    NotificationKind.CALENDAR_MISSING: (
        _("The official %(year)s holiday schedule is not imported"),
        _("Deadlines reaching into %(year)s count Monday to Friday and are provisional until the schedule is "
          "imported: python manage.py workdays import FILE."),
    ),
    NotificationKind.SUPERVISION: (
        _("Supervision record %(number)s: %(what)s"),
        _("%(rule)s. Answer it in the app by %(due)s; unanswered, it goes one level up."),
    ),
    NotificationKind.SUPERVISION_ANSWERED: (_("Supervision record %(number)s answered: %(what)s"), ""),
    NotificationKind.DEFERRAL_OVERDUE: (
        _("Deferred material overdue: %(what)s"),
        _("“%(material)s” was promised by %(on)s and has not been delivered."),
    ),
    NotificationKind.EXTENSION_REQUESTED: (
        _("Clock extension requested: %(what)s"),
        _("%(days)s working days more are asked for; the agency lead or the centre leader decides."),
    ),
    NotificationKind.EXTENSION_APPROVED: (
        _("Time limit extended: %(what)s"),
        _("Under article 42 of the Administrative Licensing Law the time limit is extended by %(days)s "
          "working days; the new due date is %(due)s."),
    ),
    NotificationKind.EXTENSION_REFUSED: (_("Clock extension refused: %(what)s"), ""),
}

# the conclusion of a joint notice, by the worst outcome of the round (``conclusion`` parameter)
CONCLUSIONS = {
    "reject": pgettext_lazy("joint notice conclusion", "rejected"),
    "revise": pgettext_lazy("joint notice conclusion", "revise and resubmit"),
    "pass": pgettext_lazy("joint notice conclusion", "every agency has passed"),
}

DATE_PARAMS = frozenset({"accepted_on", "due", "on"})


class _Params(dict):
    """The parameters as ``%`` sees them: a missing one shows as "?" rather than failing (a text
    changed after old notifications were stored)."""

    def __missing__(self, key: str) -> str:
        return "?"


def _shown(name: str, value: Any) -> Any:
    if name in DATE_PARAMS and isinstance(value, str) and value:
        try:
            return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    if name == "conclusion" and value in CONCLUSIONS:
        return CONCLUSIONS[value]
    if name == "reason" and isinstance(value, str):
        from jointreview.models import PauseReason

        return PauseReason(value).label if value in PauseReason.values else value
    if name == "rule" and isinstance(value, str):
        from jointreview.supervision.models import RULE_TEXTS

        return RULE_TEXTS.get(value, value)
    return value


def render(kind: str, params: dict[str, Any], *, language: str | None = None) -> tuple[str, str]:
    """(subject, body) of a notification in ``language`` (default: the active language)."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        subject_text, body_text = TEXTS.get(kind, (kind, ""))
        shown = _Params({k: _shown(k, v) for k, v in (params or {}).items()})
        subject = str(subject_text) % shown if subject_text else ""
        body = str(body_text) % shown if body_text else ""
    note = (params or {}).get("note") or ""
    if note:
        body = f"{body}\n{note}" if body else note
    return subject[:200], body
