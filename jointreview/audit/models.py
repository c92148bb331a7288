"""The audit log and in-app notifications."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jointreview.audit.notifications import NotificationKind, render
from jointreview.audit.verbs import AuditVerb


class AuditEvent(models.Model):
    """Who did what, when, to which object, with the state before and after. Append-only."""

    at = models.DateTimeField(verbose_name=_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+"
    )
    # who it was at the time (a snapshot): renaming a user or moving them rewrites no audit row
    # (db_default: the fan-out's one-statement notify inserts audit rows in SQL, without an actor)
    actor_name = models.CharField(_("actor"), max_length=150, blank=True, default="", db_default="")
    actor_organization = models.CharField(_("actor's organization"), max_length=200, blank=True, default="",
                                          db_default="")
    actor_role = models.CharField(_("role"), max_length=30, blank=True, default="", db_default="")
    verb = models.CharField(max_length=60, db_index=True, choices=AuditVerb.choices)
    target_type = models.CharField(verbose_name=_("target type"), max_length=60)
    target_id = models.CharField(verbose_name=_("target ID"), max_length=40)
    application = models.ForeignKey(
        "jointreview.Application", verbose_name=_("application"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="audit_events"
    )
    before = models.JSONField(verbose_name=_("before"), default=dict, blank=True)
    after = models.JSONField(verbose_name=_("after"), default=dict, blank=True)
    note = models.CharField(verbose_name=_("remarks"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        who = self.actor_name or "system"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.verb} {self.target_type}#{self.target_id}"


class Notification(models.Model):
    """An in-app message to an organization (and optionally one person), stored as its kind and
    parameters and shown in the reader's language (jointreview/audit/notifications.py). ``key``
    makes sending idempotent. Addressed to a person (``user``): theirs alone; to an organization
    (``user`` empty): every member's. Who read it and its e-mail copies are per person, in
    jointreview/notifications/models.py. ``emailed_at``: every e-mail copy is done (sent, or nobody to
    send it to)."""

    key = models.CharField(max_length=120, unique=True)
    organization = models.ForeignKey("projects.Organization", on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    params = models.JSONField(default=dict, blank=True)
    application = models.ForeignKey(
        "jointreview.Application", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    assignment = models.ForeignKey(
        "jointreview.Assignment", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        # a person's list: their organization's, newest first (jointreview/policy/notifications.py)
        indexes = [models.Index(fields=["organization", "-id"], name="notification_org_newest")]

    def __str__(self) -> str:
        return self.subject

    def render(self, language: str | None = None) -> tuple[str, str]:
        """(subject, body) in ``language`` (default: the active language)."""
        return render(self.kind, self.params, language=language)

    @property
    def subject(self) -> str:
        return self.render()[0]

    @property
    def body(self) -> str:
        return self.render()[1]

