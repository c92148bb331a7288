"""Applications through the single window (一窗受理) and what the window records on them."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from jointreview.catalogue.models import EvaluationMode, Item, Material, RegionalEvaluation, Workflow
from jointreview.clocks.models import Clock
from jointreview.limits import COMMITMENT_MAX, NOTE_MAX, no_nul, text_limit


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    RETURNED = "returned", _("returned for supplement")
    ACCEPTED = "accepted", _("accepted, in review")
    REVISION = "revision", _("awaiting revision")
    APPROVED = "approved", pgettext_lazy("application status", "approved")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


# State sets live beside the states (docs/architecture.md §3.5).
OWNER_EDITABLE_STATUSES = frozenset({ApplicationStatus.DRAFT, ApplicationStatus.RETURNED})
SUBMITTABLE_STATUSES = OWNER_EDITABLE_STATUSES
IN_REVIEW_STATUSES = frozenset({ApplicationStatus.ACCEPTED, ApplicationStatus.REVISION})
# no reader yet: application_open (intake/services/applications.py) spells this set out as a literal list
FINAL_STATUSES = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN})
WITHDRAWABLE_STATUSES = frozenset(
    {ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED}
)


class AcceptanceMode(models.TextChoices):
    NONE = "", "—"
    FULL = "full", _("accepted")
    WITH_GAPS = "with_gaps", _("accepted with gaps")


class Application(models.Model):
    """One owner application for one joint workflow (并联申报), e.g. 多图联审 of a project."""

    number = models.CharField(_("application number"), max_length=30, unique=True)
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="applications",
    )
    workflow = models.ForeignKey(
        Workflow, verbose_name=_("workflow"), on_delete=models.PROTECT, related_name="applications",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    acceptance_mode = models.CharField(
        verbose_name=_("acceptance mode"), max_length=20, choices=AcceptanceMode.choices,
        default=AcceptanceMode.NONE, blank=True
    )
    current_round = models.PositiveSmallIntegerField(_("current round"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(verbose_name=_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("accepted by"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+"
    )
    accepted_on = models.DateField(_("acceptance date"), null=True, blank=True)
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    clock = models.OneToOneField(
        Clock, verbose_name=_("clock"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="application",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [
            models.Index(fields=["status"]),
            # newest first (the API list, the window's recent applications): a page read in index order
            models.Index(fields=["created_at", "id"], name="application_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.workflow.name}"


class ApplicationItem(models.Model):
    """An item of the catalogue considered for this application: required or not, and why."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="items",
    )
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    required = models.BooleanField(_("required"))
    reason = models.CharField(_("reason"), max_length=300)
    evaluation_mode = models.CharField(
        verbose_name=_("evaluation mode"), max_length=20, choices=EvaluationMode.choices, blank=True,
        help_text=_("Set when a regional evaluation applies.")
    )
    regional_evaluation = models.ForeignKey(
        RegionalEvaluation, verbose_name=_("regional evaluation"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        "projects.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("agency"),
    )

    class Meta:
        ordering = ["application", "item__order", "item__code"]
        verbose_name = _("application item")
        verbose_name_plural = _("application items")
        constraints = [
            models.UniqueConstraint(fields=["application", "item"], name="appitem_unique"),
        ]

    def __str__(self) -> str:
        required = _("required") if self.required else _("not required")
        return f"{self.item} ({required})"


class CheckStatus(models.TextChoices):
    UNCHECKED = "unchecked", _("unchecked")
    OK = "ok", _("complete")
    MISSING = "missing", _("missing")
    DEFECTIVE = "defective", _("defective")
    DEFERRED = "deferred", _("deferred")


class ApplicationMaterial(models.Model):
    """A required material of the application, the document that answers it, and the window's check."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="materials",
    )
    material = models.ForeignKey(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="+"
    )
    document = models.ForeignKey(
        "projects.Document", verbose_name=_("document"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+"
    )
    check_status = models.CharField(
        verbose_name=_("check result"), max_length=20, choices=CheckStatus.choices,
        default=CheckStatus.UNCHECKED,
    )
    check_note = models.CharField(_("check note"), max_length=NOTE_MAX, blank=True, validators=no_nul())
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked by"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(verbose_name=_("checked at"), null=True, blank=True)

    class Meta:
        ordering = ["application", "material__item__order", "material__order"]
        verbose_name = _("application material")
        verbose_name_plural = _("application materials")
        constraints = [
            models.UniqueConstraint(fields=["application", "material"], name="appmaterial_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.material} [{self.check_status}]"


class Deferral(models.Model):
    """容缺: a non-essential material accepted as missing, with the owner's promised date."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="deferrals",
    )
    material = models.ForeignKey(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="+"
    )
    promised_date = models.DateField(_("promised date"))
    commitment = models.TextField(
        _("commitment text"), max_length=COMMITMENT_MAX, validators=text_limit(COMMITMENT_MAX)
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+",
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), auto_now_add=True)
    fulfilled_at = models.DateTimeField(verbose_name=_("fulfilled at"), null=True, blank=True)
    fulfilled_version = models.ForeignKey(
        "projects.DocumentVersion", verbose_name=_("fulfilling version"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+"
    )
    # set once by the escalation sweep when the promised date passed unfulfilled (jointreview/supervision)
    overdue_alerted_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["application", "promised_date"]
        verbose_name = _("deferred material")
        verbose_name_plural = _("deferred materials")
        constraints = [models.UniqueConstraint(fields=["application", "material"], name="deferral_unique")]

    def __str__(self) -> str:
        return f"{self.material} by {self.promised_date}"


class FeeOrder(models.Model):
    """One fee for one joint service (一次收费), split among the recipients."""

    application = models.OneToOneField(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="fee_order",
    )
    total = models.DecimalField(verbose_name=_("total"), max_digits=12, decimal_places=2)
    paid_at = models.DateTimeField(verbose_name=_("paid at"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fee order")
        verbose_name_plural = _("fee orders")
        constraints = [models.CheckConstraint(condition=models.Q(total__gte=0), name="fee_total_nonneg")]

    def __str__(self) -> str:
        return f"fee {self.total} for {self.application_id}"


class FeeSplit(models.Model):
    order = models.ForeignKey(
        FeeOrder, verbose_name=_("fee order"), on_delete=models.CASCADE, related_name="splits",
    )
    recipient = models.ForeignKey(
        "projects.Organization", verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="+",
    )
    amount = models.DecimalField(verbose_name=_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("fee split")
        verbose_name_plural = _("fee splits")
        constraints = [
            models.UniqueConstraint(fields=["order", "recipient"], name="feesplit_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="feesplit_amount_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.amount}"


class ApplicationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Application, on_delete=models.CASCADE)


class ApplicationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Application, on_delete=models.CASCADE)
