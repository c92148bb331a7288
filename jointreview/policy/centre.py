"""The centre's pages: the window queue, coordination, the deadlines dashboard, the cockpit (rule: centre
role)."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .core import is_centre


def can_use_window(user) -> bool:
    return is_centre(user)


def can_coordinate(user) -> bool:
    return is_centre(user)


def can_watch_clocks(user) -> bool:
    return is_centre(user)


def can_use_cockpit(user) -> bool:
    """The coordinator's cockpit and its exports: the centre's staff."""
    return is_centre(user)


def require_centre(user) -> None:
    if not is_centre(user):
        raise PermissionDenied(_("This page is for the centre's staff."))
