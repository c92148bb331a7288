"""Applications through the single window (一窗受理) and what the window records on them."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from jointreview.catalogue.models import EvaluationMode, Item, Material, RegionalEvaluation, Workflow
from jointreview.clocks.models import Clock
from jointreview.limits import COMMITMENT_MAX, NOTE_MAX, no_nul, text_limit


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", "草稿 draft"
    SUBMITTED = "submitted", "已提交待受理 submitted"
    RETURNED = "returned", "一次告知补正 returned for supplement"
    ACCEPTED = "accepted", "已受理审查中 accepted, in review"
    REVISION = "revision", "待修改复审 awaiting revision"
    APPROVED = "approved", "审查通过 approved"
    REJECTED = "rejected", "不予通过 rejected"
    WITHDRAWN = "withdrawn", "已撤回 withdrawn"


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
    FULL = "full", "受理 accepted"
    WITH_GAPS = "with_gaps", "容缺受理 accepted with gaps"


class Application(models.Model):
    """One owner application for one joint workflow (并联申报), e.g. 多图联审 of a project."""

    number = models.CharField("申请编号 number", max_length=30, unique=True)
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="applications")
    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(
        "状态 status", max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    acceptance_mode = models.CharField(
        max_length=20, choices=AcceptanceMode.choices, default=AcceptanceMode.NONE, blank=True
    )
    current_round = models.PositiveSmallIntegerField("当前轮次 round", default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_on = models.DateField("受理日 acceptance date", null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    clock = models.OneToOneField(
        Clock, on_delete=models.PROTECT, null=True, blank=True, related_name="application"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "联合审批申请 application"
        verbose_name_plural = "联合审批申请 applications"
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.number} {self.workflow.name}"


class ApplicationItem(models.Model):
    """An item of the catalogue considered for this application: required or not, and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    required = models.BooleanField("需办理 required")
    reason = models.CharField("原因 why", max_length=300)
    evaluation_mode = models.CharField(
        max_length=20, choices=EvaluationMode.choices, blank=True, help_text="Set when a regional evaluation applies."
    )
    regional_evaluation = models.ForeignKey(
        RegionalEvaluation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        "projects.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="办理机构 agency",
    )

    class Meta:
        ordering = ["application", "item__order", "item__code"]
        verbose_name = "申请事项 application item"
        verbose_name_plural = "申请事项 application items"
        constraints = [
            models.UniqueConstraint(fields=["application", "item"], name="appitem_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item} ({'required' if self.required else 'not required'})"


class CheckStatus(models.TextChoices):
    UNCHECKED = "unchecked", "未审核 unchecked"
    OK = "ok", "齐全 complete"
    MISSING = "missing", "缺失 missing"
    DEFECTIVE = "defective", "不符合要求 defective"
    DEFERRED = "deferred", "容缺 deferred"


class ApplicationMaterial(models.Model):
    """A required material of the application, the document that answers it, and the window's check."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(
        "projects.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    check_status = models.CharField(max_length=20, choices=CheckStatus.choices, default=CheckStatus.UNCHECKED)
    check_note = models.CharField("审核意见 note", max_length=NOTE_MAX, blank=True, validators=no_nul())
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "material__item__order", "material__order"]
        verbose_name = "申请材料 application material"
        verbose_name_plural = "申请材料 application materials"
        constraints = [
            models.UniqueConstraint(fields=["application", "material"], name="appmaterial_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.material} [{self.check_status}]"


class Deferral(models.Model):
    """容缺: a non-essential material accepted as missing, with the owner's promised date."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="deferrals")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    promised_date = models.DateField("承诺补交日期 promised date")
    commitment = models.TextField(
        "容缺承诺 commitment text", max_length=COMMITMENT_MAX, validators=text_limit(COMMITMENT_MAX)
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    fulfilled_version = models.ForeignKey(
        "projects.DocumentVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # set once by the escalation sweep when the promised date passed unfulfilled (jointreview/supervision)
    overdue_alerted_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["application", "promised_date"]
        verbose_name = "容缺材料 deferred material"
        verbose_name_plural = "容缺材料 deferred materials"
        constraints = [models.UniqueConstraint(fields=["application", "material"], name="deferral_unique")]

    def __str__(self) -> str:
        return f"{self.material} by {self.promised_date}"


class FeeOrder(models.Model):
    """One fee for one joint service (一次收费), split among the recipients."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="fee_order")
    total = models.DecimalField(max_digits=12, decimal_places=2)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "收费单 fee order"
        verbose_name_plural = "收费单 fee orders"
        constraints = [models.CheckConstraint(condition=models.Q(total__gte=0), name="fee_total_nonneg")]

    def __str__(self) -> str:
        return f"fee {self.total} for {self.application_id}"


class FeeSplit(models.Model):
    order = models.ForeignKey(FeeOrder, on_delete=models.CASCADE, related_name="splits")
    recipient = models.ForeignKey("projects.Organization", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "收费分配 fee split"
        verbose_name_plural = "收费分配 fee splits"
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
