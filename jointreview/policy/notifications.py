"""Notifications: whose they are (the notification centre, issue 10).

- a notification addressed to a person (``user``) is that person's alone, as a member of the
  organization it was sent to (``notify`` refuses a person of another organization);
- one addressed to an organization (``user`` empty) is every member's, as long as they are members
  (one who moves to another organization leaves its notifications behind);
- nobody else sees it, the centre included (404 alike for missing and not yours);
- where it links to is decided for the reader (``notification_target`` in the selectors), from the
  same predicates as the pages it links to: no link rather than a link that answers 404.
"""
from __future__ import annotations

from django.db.models import Q, QuerySet

from jointreview.models import Notification

from .core import authenticated, fetch_visible


def can_use_notifications(user) -> bool:
    return authenticated(user)


def notifications_q(user) -> Q:
    """The notifications this person may read, as a filter."""
    if not authenticated(user) or not user.organization_id:
        return Q(pk__in=[])
    # the organization first: the index (organization, -id) serves the newest-first list
    return Q(organization_id=user.organization_id) & (Q(user__isnull=True) | Q(user_id=user.pk))


def notifications_of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(notifications_q(user))


def can_read_notification(user, n: Notification) -> bool:
    if not authenticated(user) or user.organization_id is None or n.organization_id != user.organization_id:
        return False
    return n.user_id is None or n.user_id == user.pk


def access_notification(user, notification_id) -> Notification:
    """Fetch and authorise: the reader's own (or their organization's) notification, else 404."""
    return fetch_visible(Notification.objects.select_related("application__project", "assignment"),
                         notification_id, "notification", lambda n: can_read_notification(user, n))
