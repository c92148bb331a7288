"""E-mail copies of in-app notifications, to the people they are for (the one true external edge).

The in-app Notification is the record and is written by the service that changes the state; the
e-mails follow from a beat sweep, never from the hot path of a fan-out. Who gets a copy
(``recipients``; docs/architecture.md §3.9):

- addressed to a person: that person, at ``User.email``, in their ``User.language``, if they want
  the kind (jointreview/notifications/kinds.py); a person without an address: the organization's
  address instead (the fallback), in the centre's language;
- addressed to an organization: each active member with an address who wants the kind, each in
  their language; when no active member has an address, the organization's address (the fallback).
  A member who turned the kind off gets nothing, and the fallback does not stand in for them.

Exactly once per address: each copy sent is recorded (``NotificationDelivery``, unique per
notification and address) in the transaction that claimed the notification with
``select_for_update(skip_locked=True)``, so two sweeps never send the same copy and a retry sends
only the copies that failed. ``emailed_at`` is set once every copy is done; a failed send is retried
on the next run, for ``MAX_AGE`` at most. A worker killed between a send and the commit can repeat
that e-mail, never lose one.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from jointreview.models import Notification, NotificationDelivery, NotificationProfile
from jointreview.notifications.kinds import wants_email

log = logging.getLogger(__name__)

MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str
    user: object = None  # None: the organization's address


def notification_email_sweep(*, batch: int = 100, now=None, budget_s: float = 30.0) -> dict[str, int]:
    """Send the e-mail copies of recent notifications that are not done yet: batch after batch (each
    its own transaction, in pk order, each notification at most once per run) until none is left or
    ``budget_s`` seconds have passed; the next run goes on."""
    now = now or timezone.now()
    stats = {"sent": 0, "failed": 0}
    deadline, after = time.monotonic() + budget_s, 0
    while True:
        claimed, after = _sweep_batch(batch=batch, now=now, after=after, stats=stats)
        if claimed < batch or time.monotonic() > deadline:
            return stats


def _sweep_batch(*, batch: int, now, after: int, stats: dict[str, int]) -> tuple[int, int]:
    """One batch above notification ``after``: (how many were claimed, the last id claimed)."""
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("organization", "user")
            .filter(emailed_at__isnull=True, created_at__gte=now - MAX_AGE, pk__gt=after)
            .order_by("pk")[:batch]
        )
        if not pending:
            return 0, after
        members, choices = _people(pending)
        done = set(NotificationDelivery.objects.filter(notification__in=pending).values_list("notification_id",
                                                                                            "address"))
        sent, complete = [], []
        for n in pending:
            ok = True
            for r in recipients(n, members.get(n.organization_id, []), choices):
                if (n.pk, r.address) in done:
                    continue
                if _send(n, r):
                    sent.append(NotificationDelivery(notification=n, user=r.user, address=r.address,
                                                     language=r.language, sent_at=timezone.now()))
                    done.add((n.pk, r.address))
                else:
                    ok = False
                    stats["failed"] += 1
            if ok:
                complete.append(n.pk)
        NotificationDelivery.objects.bulk_create(sent, ignore_conflicts=True)
        Notification.objects.filter(pk__in=complete).update(emailed_at=timezone.now())
        stats["sent"] += len(sent)
    return len(pending), pending[-1].pk


def _people(pending: list[Notification]) -> tuple[dict[int, list], dict[int, dict]]:
    """The active members of the organizations of the organization-wide notifications (one query) and
    the e-mail choices of everyone concerned (one query)."""
    org_ids = {n.organization_id for n in pending if not n.user_id}
    members: dict[int, list] = {}
    for user in get_user_model().objects.filter(organization_id__in=org_ids, is_active=True).order_by("pk"):
        members.setdefault(user.organization_id, []).append(user)
    people = {u.pk for users in members.values() for u in users} | {n.user_id for n in pending if n.user_id}
    choices = dict(NotificationProfile.objects.filter(user_id__in=people).values_list("user_id", "email"))
    return members, choices


def recipients(n: Notification, members: list, choices: dict[int, dict]) -> list[Recipient]:
    """Who gets an e-mail copy of ``n`` (see the module's text), each address once."""
    people = [n.user] if n.user_id else members
    people = [p for p in people if p.is_active]
    with_address = [p for p in people if p.email]
    if not with_address:
        org = n.organization
        return [Recipient(org.email, settings.LANGUAGE_CODE)] if org.email else []
    out: dict[str, Recipient] = {}
    for p in with_address:
        if wants_email(p, n.kind, choices.get(p.pk)):
            out.setdefault(p.email.lower(), Recipient(p.email, p.language or settings.LANGUAGE_CODE, p))
    return list(out.values())


def _send(n: Notification, r: Recipient) -> bool:
    subject, body = n.render(r.language)
    try:
        send_mail(subject, body or subject, settings.DEFAULT_FROM_EMAIL, [r.address])
    except Exception:
        log.warning("mail to %s for notification %s failed; the next sweep retries", r.address, n.pk, exc_info=True)
        return False
    return True
