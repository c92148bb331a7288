"""Which kinds of notification each audience receives, and which of them come by e-mail unless the
person chooses otherwise (the preferences page; docs/architecture.md §3.9).

- ``AUDIENCE_KINDS``: the kinds a person of this kind of organization may receive; the preferences
  page lists them. A kind listed for no audience (a new one) is listed for everyone.
- ``EMAIL_DEFAULTS``: per role, the kinds e-mailed when the person has not chosen. Owners get every
  step of their case (they are outside the centre and may not log in every day); reviewers what is
  theirs to act on; leads new work and decisions; coordinators what waits for them; admins system
  trouble. A kind listed for no audience comes by e-mail by default.
"""
from __future__ import annotations

from jointreview.audit.notifications import NotificationKind as K
from projects.models import OrganizationKind, Role

AUDIENCE_KINDS: dict[str, tuple[str, ...]] = {
    OrganizationKind.OWNER: (K.ACCEPTED, K.COMPLETENESS_NOTICE, K.PAUSE_NOTICE, K.PAUSE_ENDED, K.JOINT_NOTICE,
                             K.CERTIFICATE),
    OrganizationKind.AGENCY: (K.ASSIGNMENT, K.ASSIGNMENT_ASSIGNED, K.PAUSE_APPROVED, K.PAUSE_REFUSED,
                              K.JOINT_NOTICE, K.SURVEY_REPORT, K.CLOCK_YELLOW, K.CLOCK_RED),
    OrganizationKind.CENTRE: (K.PAUSE_REQUESTED, K.NOTICE_DRAFTED, K.FANOUT_FAILED, K.CLOCK_YELLOW, K.CLOCK_RED,
                              K.CALENDAR_MISSING),
}

EMAIL_DEFAULTS: dict[str, frozenset[str]] = {
    Role.OWNER_STAFF: frozenset(AUDIENCE_KINDS[OrganizationKind.OWNER]),
    Role.AGENCY_REVIEWER: frozenset({K.ASSIGNMENT_ASSIGNED, K.PAUSE_APPROVED, K.PAUSE_REFUSED, K.CLOCK_RED}),
    Role.AGENCY_LEAD: frozenset({K.ASSIGNMENT, K.PAUSE_APPROVED, K.PAUSE_REFUSED, K.JOINT_NOTICE, K.SURVEY_REPORT,
                                 K.CLOCK_RED}),
    Role.CENTRE_COORDINATOR: frozenset({K.PAUSE_REQUESTED, K.NOTICE_DRAFTED, K.FANOUT_FAILED, K.CLOCK_RED}),
    Role.CENTRE_ADMIN: frozenset({K.FANOUT_FAILED, K.CALENDAR_MISSING}),
}

_LISTED = frozenset(k for kinds in AUDIENCE_KINDS.values() for k in kinds)


def kinds_for(user) -> list[str]:
    """The kinds the preferences page offers this person, in the order of ``NotificationKind``."""
    org_kind = user.organization.kind if getattr(user, "organization_id", None) else None
    mine = set(AUDIENCE_KINDS.get(org_kind, ()))
    return [k for k in K.values if k in mine or k not in _LISTED]


def email_default(role: str, kind: str) -> bool:
    if kind not in _LISTED:
        return True
    return kind in EMAIL_DEFAULTS.get(role, frozenset())


def wants_email(user, kind: str, choices: dict | None) -> bool:
    """Does this person want ``kind`` by e-mail: their choice, else their role's default."""
    if choices and kind in choices:
        return bool(choices[kind])
    return email_default(getattr(user, "role", ""), kind)
