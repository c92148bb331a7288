"""E-mail copies of in-app notifications (the one true external edge).

The in-app Notification is the record and is written by the service that changes the state; the
e-mail follows from a beat sweep, never from the hot path of a fan-out. The sweep retries a failed
send on its next run (for ``MAX_AGE`` at most) and records ``emailed_at`` once the mail server took
it. Each mail is written in its recipient's language: the person's ``User.language`` when the
notification is addressed to one person with an address, else the centre's default language for the
organization's address. Rows are claimed with ``select_for_update(skip_locked=True)``, so two sweeps never send the same
mail; a worker killed between the send and the commit can repeat one e-mail, never lose one.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jointreview.models import Notification

log = logging.getLogger(__name__)

MAX_AGE = timedelta(hours=24)


def notification_email_sweep(*, batch: int = 100, now=None) -> dict[str, int]:
    """Send the e-mail of every recent notification whose organization has an address."""
    now = now or timezone.now()
    stats = {"sent": 0, "failed": 0}
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("organization", "user")
            .filter(emailed_at__isnull=True, created_at__gte=now - MAX_AGE)
            .filter(Q(user__email__gt="") | Q(organization__email__gt=""))
            .order_by("pk")[:batch]
        )
        sent_ids = []
        for n in pending:
            address, language = recipient(n)
            subject, body = n.render(language)
            try:
                send_mail(subject, body or subject, settings.DEFAULT_FROM_EMAIL, [address])
            except Exception:
                stats["failed"] += 1
                log.warning("mail to %s for notification %s failed; the next sweep retries",
                            address, n.pk, exc_info=True)
                continue
            sent_ids.append(n.pk)
        if sent_ids:
            Notification.objects.filter(pk__in=sent_ids).update(emailed_at=timezone.now())
        stats["sent"] = len(sent_ids)
    return stats


def recipient(n: Notification) -> tuple[str, str]:
    """(address, language) of a notification's e-mail copy."""
    if n.user_id and n.user.email:
        return n.user.email, n.user.language or settings.LANGUAGE_CODE
    return n.organization.email, settings.LANGUAGE_CODE
