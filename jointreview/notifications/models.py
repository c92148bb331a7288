"""Per-person state of the notifications (docs/architecture.md §3.9).

A ``Notification`` stays one row per message, addressed to an organization and optionally to one of
its people; the fan-out writes it in one SQL statement. What differs from person to person is kept
beside it, never by copying the message per member:

- ``NotificationRead``: this person has read this notification (one row per click);
- ``NotificationProfile``: "everything up to notification id N is read" (mark all read, one row per
  person whatever the number of notifications) and the person's e-mail choices;
- ``NotificationDelivery``: one e-mail copy sent to one address, so a retry never sends it twice.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from jointreview.audit.notifications import NotificationKind


class NotificationRead(models.Model):
    """One person read one notification (a colleague's reading marks nothing for them)."""

    notification = models.ForeignKey("jointreview.Notification", on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification read")
        verbose_name_plural = _("notifications read")
        constraints = [models.UniqueConstraint(fields=["user", "notification"], name="notification_read_once")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.notification_id}"


def validate_email_choices(value) -> None:
    """``{kind: bool}`` with listed kinds only."""
    if not isinstance(value, dict):
        raise ValidationError(_("The e-mail choices must be a mapping of kinds to yes/no."))
    for kind, wanted in value.items():
        if kind not in NotificationKind.values or not isinstance(wanted, bool):
            raise ValidationError(_("Unknown notification kind or choice: %(kind)s"), params={"kind": kind})


class NotificationProfile(models.Model):
    """A person's notification state: read up to an id (mark all read) and which kinds come by e-mail
    (``email``: the kinds the person chose, ``{kind: bool}``; a kind not in it follows the role's
    default, jointreview/notifications/kinds.py)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="notification_profile")
    read_upto = models.BigIntegerField(_("read up to notification"), default=0)
    email = models.JSONField(_("e-mail choices"), default=dict, blank=True, validators=[validate_email_choices])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user_id)


class NotificationDelivery(models.Model):
    """One e-mail copy of a notification, sent to one address (a person's, or the organization's as
    the fallback: ``user`` empty). Unique per address: the sweep never sends a copy twice."""

    notification = models.ForeignKey("jointreview.Notification", on_delete=models.CASCADE,
                                      related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    address = models.EmailField()
    language = models.CharField(max_length=10)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("e-mail copy")
        verbose_name_plural = _("e-mail copies")
        constraints = [models.UniqueConstraint(fields=["notification", "address"], name="notification_mail_once")]

    def __str__(self) -> str:
        return f"{self.notification_id} -> {self.address}"
