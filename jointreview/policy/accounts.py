"""People and the admin: who may change whom (used by the admin and the account services).

- only a superuser grants or removes superuser or staff status, edits beat tasks, or changes
  another superuser;
- a centre admin creates and changes users (organization, role, active) through the services;
  group membership is never edited by hand: it follows the user's organization;
- nobody else reaches the admin (jointreview/admin_site.py).
"""
from __future__ import annotations

from .core import authenticated


def can_use_admin(user) -> bool:
    return authenticated(user) and bool(user.is_superuser or getattr(user, "role", "") == "centre_admin")


def can_grant_privileges(user) -> bool:
    """Set is_superuser / is_staff, edit beat schedules, manage groups and raw permissions."""
    return authenticated(user) and bool(user.is_superuser)


def can_change_user(actor, target) -> bool:
    if not can_use_admin(actor):
        return False
    if target is not None and target.pk and target.is_superuser and not actor.is_superuser:
        return False
    return True
