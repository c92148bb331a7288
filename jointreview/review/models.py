"""Review by the agencies: rounds, assignments, pauses, opinions and findings."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from jointreview.clocks.models import Clock, PauseReason
from jointreview.intake.models import Application, ApplicationItem
from jointreview.limits import (
    FINDING_TEXT_MAX,
    NOTE_MAX,
    OPINION_SUMMARY_MAX,
    no_nul,
    pause_max_days,
    text_limit,
)


class ReviewRound(models.Model):
    """审查轮次: round 1 goes to every agency; later rounds only to those that asked for revision."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField("轮次 round")
    opened_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="Set, under a lock, when the last assignment's opinion is signed."
    )

    class Meta:
        ordering = ["application", "number"]
        verbose_name = "审查轮次 review round"
        verbose_name_plural = "审查轮次 review rounds"
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="round_unique_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="round_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.application.number} round {self.number}"


class AssignmentStatus(models.TextChoices):
    UNASSIGNED = "unassigned", "待分派 unassigned"
    IN_REVIEW = "in_review", "审查中 in review"
    SIGNED = "signed", "已出具意见 opinion signed"
    CANCELLED = "cancelled", "已撤销 cancelled"


OPEN_ASSIGNMENT_STATUSES = frozenset({AssignmentStatus.UNASSIGNED, AssignmentStatus.IN_REVIEW})


class NotifyStatus(models.TextChoices):
    PENDING = "pending", "待通知 pending"
    SENT = "sent", "已通知 sent"
    FAILED = "failed", "通知失败 failed"


class Assignment(models.Model):
    """One agency's portion of one application in one round (unique per application+agency+round)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="assignments")
    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="assignments")
    round_number = models.PositiveSmallIntegerField("轮次 round")
    agency = models.ForeignKey("projects.Organization", on_delete=models.PROTECT, related_name="assignments")
    items = models.ManyToManyField(ApplicationItem, related_name="assignments")
    status = models.CharField(max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.UNASSIGNED)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="A角 reviewer",
    )
    backup = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="B角 backup",
    )
    clock = models.OneToOneField(Clock, on_delete=models.PROTECT, null=True, blank=True, related_name="assignment")
    due_date = models.DateField("到期日 due date", null=True, blank=True)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_rounds",
        help_text="The same agency's assignment in the previous round.",
    )
    # The agency's portion (its materials), fixed from the catalogue when the assignment is made:
    # the material codes it reads, or every material (reads_all: the workflow's lead when the
    # catalogue says so). Document grants follow it (jointreview/policy/portions.py).
    portion = models.JSONField("审查范围(材料编码) portion (material codes)", default=list, blank=True)
    reads_all = models.BooleanField("可阅全部材料 reads every material", default=False)
    notify_status = models.CharField(max_length=10, choices=NotifyStatus.choices, default=NotifyStatus.PENDING)
    notify_attempts = models.PositiveSmallIntegerField(default=0)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "round_number", "agency__name"]
        verbose_name = "部门审查任务 assignment"
        verbose_name_plural = "部门审查任务 assignments"
        permissions = [
            ("review_assignment", "Can review the assignment and write its opinion"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "agency", "round_number"], name="assignment_unique_per_round"
            ),
        ]
        indexes = [
            models.Index(fields=["notify_status", "created_at"]),
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["status"], name="assignment_status_idx"),  # the cockpit's counts
        ]

    def __str__(self) -> str:
        return f"{self.application.number} / {self.agency} / round {self.round_number}"

    @property
    def acting_reviewer(self):
        """AB角: the backup acts while the reviewer is marked absent."""
        if self.reviewer and self.reviewer.is_absent and self.backup:
            return self.backup
        return self.reviewer


class PauseRequest(models.Model):
    """A reviewer asks to stop the clock (特别程序); the coordinator approves; the owner is told in writing."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "待批准 requested"
        APPROVED = "approved", "已批准 approved"
        REFUSED = "refused", "不批准 refused"
        ENDED = "ended", "已结束 ended"

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="pause_requests")
    reason = models.CharField(max_length=20, choices=PauseReason.choices)
    reason_text = models.CharField("说明 reason", max_length=NOTE_MAX, validators=no_nul())
    expected_days = models.PositiveSmallIntegerField(
        "预计时长(工作日) expected length", validators=[MinValueValidator(1), MaxValueValidator(pause_max_days)]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    owner_told_at = models.DateTimeField(null=True, blank=True)

    # requested or running: a second request waits until this one is decided or ended
    ACTIVE_STATUSES = frozenset({Status.REQUESTED, Status.APPROVED})

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = "暂停计时申请 pause request"
        verbose_name_plural = "暂停计时申请 pause requests"
        constraints = [
            models.CheckConstraint(condition=models.Q(expected_days__gte=1), name="pause_expected_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.status})"


class Outcome(models.TextChoices):
    PASS = "pass", "通过 pass"
    PASS_WITH_CONDITIONS = "conditional", "有条件通过 pass with conditions"
    REVISE = "revise", "修改后复审 revise and resubmit"
    REJECT = "reject", "不予通过 reject"


PASSING_OUTCOMES = frozenset({Outcome.PASS, Outcome.PASS_WITH_CONDITIONS})
OUTCOMES_NEEDING_FINDINGS = frozenset({Outcome.REVISE, Outcome.REJECT})


class Opinion(models.Model):
    """审查意见. Signing makes it immutable; a correction is a new version with a reason."""

    class State(models.TextChoices):
        DRAFT = "draft", "草稿 draft"
        SIGNED = "signed", "已签发 signed"

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="opinions")
    version = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    summary = models.TextField(
        "审查意见摘要 summary", blank=True, max_length=OPINION_SUMMARY_MAX, validators=text_limit(OPINION_SUMMARY_MAX)
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    correction_reason = models.CharField(
        "更正原因 correction reason", max_length=NOTE_MAX, blank=True, validators=no_nul()
    )

    class Meta:
        ordering = ["assignment", "version"]
        verbose_name = "审查意见 opinion"
        verbose_name_plural = "审查意见 opinions"
        constraints = [
            models.UniqueConstraint(fields=["assignment", "version"], name="opinion_unique_version"),
            models.UniqueConstraint(
                fields=["assignment"], condition=models.Q(state="draft"), name="opinion_one_draft"
            ),
            models.CheckConstraint(
                condition=models.Q(state="draft") | (~models.Q(outcome="") & models.Q(signed_at__isnull=False)),
                name="opinion_signed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} opinion v{self.version}"


class Finding(models.Model):
    """One numbered finding of an opinion, tied to a document version and a standard's clause."""

    class State(models.TextChoices):
        OPEN = "open", "未关闭 open"
        CLOSED = "closed", "已关闭 closed"

    class Response(models.TextChoices):
        NONE = "", "—"
        FIXED = "fixed", "已修改 fixed"
        DISPUTED = "disputed", "有异议 disputed"

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="findings")
    number = models.PositiveSmallIntegerField("序号 number")
    speciality = models.ForeignKey(
        "projects.Speciality", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    document_version = models.ForeignKey(
        "projects.DocumentVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    sheet = models.CharField("图号 sheet", max_length=60, blank=True, validators=no_nul())
    standard = models.CharField(
        "标准 standard", max_length=80, blank=True, help_text="e.g. GB 50016-2014", validators=no_nul()
    )
    clause = models.CharField("条款 clause", max_length=30, blank=True, help_text="e.g. 5.3.1", validators=no_nul())
    mandatory = models.BooleanField("强制性条文 mandatory", default=False)
    text = models.TextField("意见内容 text", max_length=FINDING_TEXT_MAX, validators=text_limit(FINDING_TEXT_MAX))
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    carried_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="carried_to"
    )
    response = models.CharField(max_length=10, choices=Response.choices, blank=True, default="")
    response_text = models.TextField(
        "答复 response", blank=True, max_length=FINDING_TEXT_MAX, validators=text_limit(FINDING_TEXT_MAX)
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opinion", "number"]
        verbose_name = "审查意见条目 finding"
        verbose_name_plural = "审查意见条目 findings"
        constraints = [models.UniqueConstraint(fields=["opinion", "number"], name="finding_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:40]}"


def _attachment_path(instance: OpinionAttachment, filename: str) -> str:
    """Derived from the content's sha256; the user's file name never enters a path."""
    return f"opinions/{instance.sha256[:2]}/{instance.sha256}"


class OpinionAttachment(models.Model):
    """意见附件: a file of an opinion (photos, marked-up drawings ...). Changed only on a draft; a
    correction copies the rows (pointing at the same stored file) into the new version."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    original_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, blank=True, help_text="Decided from the content.")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["opinion", "pk"]
        verbose_name = "意见附件 opinion attachment"
        verbose_name_plural = "意见附件 opinion attachments"

    def __str__(self) -> str:
        return self.original_name


class FindingTemplate(models.Model):
    """A reusable finding from the library of a speciality."""

    speciality = models.ForeignKey("projects.Speciality", on_delete=models.CASCADE, related_name="finding_templates")
    agency = models.ForeignKey(
        "projects.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text="Empty = shared by every agency.",
    )
    standard = models.CharField(max_length=80, blank=True, validators=no_nul())
    clause = models.CharField(max_length=30, blank=True, validators=no_nul())
    mandatory = models.BooleanField(default=False)
    text = models.TextField(max_length=FINDING_TEXT_MAX, validators=text_limit(FINDING_TEXT_MAX))

    class Meta:
        ordering = ["speciality", "standard", "clause"]
        verbose_name = "常用意见 finding template"
        verbose_name_plural = "常用意见 finding templates"

    def __str__(self) -> str:
        return f"{self.standard} {self.clause} {self.text[:30]}"


class AssignmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Assignment, on_delete=models.CASCADE)


class AssignmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Assignment, on_delete=models.CASCADE)
