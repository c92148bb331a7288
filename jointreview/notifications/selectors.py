"""Reads of the notification centre: a person's notifications, what is unread for them, where each
one leads for them, their e-mail choices. Everything goes through ``policy.notifications_q``."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from jointreview import policy
from jointreview.audit.notifications import NotificationKind as K
from jointreview.models import Notification, NotificationProfile, NotificationRead
from jointreview.notifications.kinds import kinds_for, wants_email

UNREAD_CAP = 100  # the header shows "99+" beyond: counting stops there, so the count stays cheap

# the centre acts on these on the coordination page; the deadline kinds without a case: the deadlines page
COORDINATION_KINDS = frozenset({K.PAUSE_REQUESTED, K.NOTICE_DRAFTED})
DEADLINE_KINDS = frozenset({K.CLOCK_YELLOW, K.CLOCK_RED, K.CALENDAR_MISSING})
# the owner answers a joint notice on the rounds page
OWNER_ROUNDS_KINDS = frozenset({K.JOINT_NOTICE})


def _read_upto(user) -> Subquery:
    return Subquery(NotificationProfile.objects.filter(user_id=user.pk).values("read_upto")[:1])


def unread_q(user) -> Q:
    """Unread by this person: above their "all read" mark and not read one by one."""
    read = NotificationRead.objects.filter(user_id=user.pk, notification_id=OuterRef("pk"))
    return Q(pk__gt=Coalesce(_read_upto(user), Value(0))) & ~Exists(read)


def unread_count(user) -> int:
    """How many of the person's notifications are unread, counted up to ``UNREAD_CAP``: one query."""
    if not policy.can_use_notifications(user):
        return 0
    return policy.notifications_of(user).filter(unread_q(user)).order_by()[:UNREAD_CAP].count()


def notification_list(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The person's notifications, newest first, each with ``unread``."""
    qs = (policy.notifications_of(user)
          .select_related("application__project", "assignment")
          .annotate(read_one=Exists(NotificationRead.objects.filter(user_id=user.pk, notification_id=OuterRef("pk"))),
                    read_upto=Coalesce(_read_upto(user), Value(0)))
          .order_by("-id"))
    if unread_only:
        qs = qs.filter(unread_q(user))
    return qs


@dataclass
class Page:
    """One page of the list, found without counting every notification (an organization may hold
    hundreds of thousands): the rows, and whether there is a page before and after."""

    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def page_number(value) -> int:
    """``?page=``: a positive number, anything else the first page."""
    text = str(value or "")
    return max(1, min(int(text), 100_000)) if text.isascii() and text.isdigit() and len(text) < 7 else 1


def notification_page(user, *, number: int, size: int, unread_only: bool = False) -> Page:
    start = (number - 1) * size
    found = list(notification_list(user, unread_only=unread_only)[start:start + size + 1])
    return Page(rows=notification_rows(user, found[:size]), number=number, has_next=len(found) > size)


@dataclass
class Row:
    notification: Notification
    subject: str
    body: str
    unread: bool
    target: str | None


def notification_rows(user, notifications) -> list[Row]:
    """One page of the list, rendered in the active language, with each row's link for this reader.
    The grants the links depend on are loaded once for the page."""
    notifications = list(notifications)
    policy.prefetch_grants(user, [n.assignment for n in notifications if n.assignment_id])
    policy.prefetch_grants(user, [n.application for n in notifications if n.application_id])
    rows = []
    for n in notifications:
        subject, body = n.render()
        unread = not n.read_one and n.pk > n.read_upto
        rows.append(Row(n, subject, body, unread, notification_target(user, n)))
    return rows


def notification_target(user, n: Notification) -> str | None:
    """Where the notification leads THIS reader: the page of the thing it is about that they may open
    (owner: the application, or its rounds page for a joint notice; agency: the assignment; centre:
    coordination for what waits there, else the application, else the deadlines page); ``None`` when
    they may open none of them (the list shows no link rather than a 404)."""
    if policy.can_coordinate(user):
        return _centre_target(user, n)
    if n.assignment_id and policy.can_view_assignment(user, n.assignment):
        return reverse("review:assignment", args=[n.assignment_id])
    if n.application_id and policy.can_view_application(user, n.application):
        if n.kind in OWNER_ROUNDS_KINDS and policy.can_edit_application(user, n.application):
            return reverse("review:application_rounds", args=[n.application_id])
        return reverse("intake:application_detail", args=[n.application_id])
    return None


def _centre_target(user, n: Notification) -> str | None:
    if n.kind in COORDINATION_KINDS:
        return reverse("review:coordination")
    if n.application_id and policy.can_view_application(user, n.application):
        return reverse("intake:application_detail", args=[n.application_id])
    if n.kind in DEADLINE_KINDS and policy.can_watch_clocks(user):
        return reverse("clocks:dashboard")
    return None


def email_choices(user) -> list[tuple[str, str, bool]]:
    """(kind, label, comes by e-mail) for each kind the person may receive."""
    profile = NotificationProfile.objects.filter(user_id=user.pk).first()
    choices = profile.email if profile else {}
    return [(kind, K(kind).label, wants_email(user, kind, choices)) for kind in kinds_for(user)]
