"""Writes of the notification centre: mark one read, mark all read, choose the kinds that come by
e-mail. Each is the person's own business: ``actor`` acts on their own notifications only."""
from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from jointreview import policy
from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.models import Notification, NotificationProfile, NotificationRead
from jointreview.notifications.kinds import kinds_for
from jointreview.notifications.selectors import unread_q
from jointreview.services.common import full_clean
from jointreview.services.errors import PermissionDeniedError, ServiceError


def _require_reader(actor, n: Notification) -> None:
    if not policy.can_read_notification(actor, n):
        raise PermissionDeniedError(_("This notification is not addressed to you."))


def _profile_for_update(actor) -> NotificationProfile:
    profile, _created = NotificationProfile.objects.select_for_update().get_or_create(user_id=actor.pk)
    return profile


@transaction.atomic
def notification_mark_read(*, actor, notification: Notification | int) -> bool:
    """The person has read this notification (for them only). Returns False if it was read already."""
    n = notification if isinstance(notification, Notification) else policy.access_notification(actor, notification)
    _require_reader(actor, n)
    read_upto = NotificationProfile.objects.filter(user_id=actor.pk).values_list("read_upto", flat=True).first()
    if n.pk <= (read_upto or 0):
        return False
    _row, created = NotificationRead.objects.get_or_create(user_id=actor.pk, notification=n)
    if created:
        audit_record(actor=actor, verb=AuditVerb.NOTIFICATION_READ, target=n, application=n.application,
                     before={"read": False}, after={"read": True})
    return created


@transaction.atomic
def notification_mark_all_read(*, actor) -> int:
    """Everything the person has been sent so far is read (for them only): one mark, whatever the
    number. Returns how many were unread."""
    if not policy.can_use_notifications(actor):
        raise PermissionDeniedError(_("Log in to read your notifications."))
    profile = _profile_for_update(actor)
    mine = policy.notifications_of(actor)
    top = mine.aggregate(top=Max("pk"))["top"] or 0
    if top <= profile.read_upto:
        return 0
    unread = mine.filter(unread_q(actor), pk__lte=top).count()
    before = profile.read_upto
    NotificationProfile.objects.filter(pk=profile.pk, read_upto=before).update(read_upto=top)
    # the single reads below the mark say nothing more
    NotificationRead.objects.filter(user_id=actor.pk, notification_id__lte=top).delete()
    audit_record(actor=actor, verb=AuditVerb.NOTIFICATION_READ_ALL, target=actor,
                 before={"read_upto": before}, after={"read_upto": top, "unread": unread})
    return unread


@transaction.atomic
def notification_email_choose(*, actor, kinds: Iterable[str]) -> NotificationProfile:
    """The kinds this person wants by e-mail, out of those offered to them (``kinds_for``); every
    offered kind not in ``kinds`` is refused by e-mail. The in-app list always shows everything."""
    if not policy.can_use_notifications(actor):
        raise PermissionDeniedError(_("Log in to choose your notifications."))
    offered = kinds_for(actor)
    chosen = set(kinds)
    unknown = sorted(chosen - set(offered))
    if unknown:
        message = _("Not a kind of notification you receive: %(kinds)s") % {"kinds": ", ".join(unknown)}
        raise ServiceError(message, fields={"kinds": [message]})
    profile = _profile_for_update(actor)
    before = dict(profile.email)
    profile.email = {kind: kind in chosen for kind in offered}
    full_clean(profile)
    if profile.email != before:
        profile.save(update_fields=["email", "updated_at"])
        audit_record(actor=actor, verb=AuditVerb.NOTIFICATION_EMAIL_CHOICES, target=actor,
                     before={"email": before}, after={"email": profile.email})
    return profile
