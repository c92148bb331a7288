"""Notifications: whose they are (the notification centre, issue 10).

- a notification addressed to a person (``user``) is that person's alone;
- one addressed to an organization (``user`` empty) is every member's, as long as they are members;
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
    if not authenticated(user):
        return Q(pk__in=[])
    mine = Q(user_id=user.pk)
    if user.organization_id:
        mine |= Q(user__isnull=True, organization_id=user.organization_id)
    return mine


def notifications_of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(notifications_q(user))


def can_read_notification(user, n: Notification) -> bool:
    if not authenticated(user):
        return False
    if n.user_id is not None:
        return n.user_id == user.pk
    return user.organization_id is not None and n.organization_id == user.organization_id


def access_notification(user, notification_id) -> Notification:
    """Fetch and authorise: the reader's own (or their organization's) notification, else 404."""
    return fetch_visible(Notification.objects.select_related("application__project", "assignment"),
                         notification_id, "notification", lambda n: can_read_notification(user, n))
