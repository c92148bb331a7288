"""Permission-aware fetches (Zulip's access_*): 404 alike for 'missing' and 'not yours'.

Grants are object permissions of django-guardian given to the organization's group, inside the
service that changes the state (DESIGN.md section 5). The role table is `ROLE_VERBS` below.
"""
from __future__ import annotations

from django.http import Http404
from guardian.shortcuts import assign_perm

from projects.models import Organization, Role
from projects.services import organization_group

# What each role may do (also in the README). Object permissions narrow these to objects.
ROLE_VERBS: dict[str, list[str]] = {
    Role.OWNER_STAFF: [
        "register projects of its own organization",
        "open, edit, submit, withdraw applications of its projects",
        "upload document versions; answer findings; resubmit",
        "read issued notices and certificates of its applications",
    ],
    Role.AGENCY_REVIEWER: [
        "read its agency's assignments and the documents of those applications",
        "write and sign the opinion of an assignment it reviews (A, or B while A is absent)",
        "request a clock pause",
    ],
    Role.AGENCY_LEAD: [
        "everything an agency reviewer may do in its agency",
        "assign reviewer (A) and backup (B); mark members absent",
    ],
    Role.CENTRE_COORDINATOR: [
        "check completeness, return with one notice, accept (with gaps)",
        "approve clock pauses and extensions; issue joint notices and certificates",
        "read every application, clock and draft (never edit an agency's opinion)",
    ],
    Role.CENTRE_ADMIN: [
        "everything a coordinator may do",
        "edit the catalogue, organizations, users and the calendar in the admin",
    ],
}


def grant(perm: str, org: Organization, obj) -> None:
    """Give an organization's group `perm` on one object (never a global grant)."""
    assign_perm(perm, organization_group(org), obj)


def not_found(what: str = "object") -> Http404:
    return Http404(f"No such {what}, or you may not see it.")
