"""Documents the centre issues: the one-time notice (一次告知书), joint notices, certificates, survey reports."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from jointreview.intake.models import Application
from jointreview.limits import NOTE_MAX, no_nul
from jointreview.review.models import ReviewRound


class IssuedKind(models.TextChoices):
    COMPLETENESS_NOTICE = "completeness_notice", "一次性告知书 one-time notice"
    JOINT_NOTICE = "joint_notice", "综合审查意见书 joint review notice"
    CERTIFICATE = "certificate", "审查合格书 approval certificate"
    ACCEPTANCE_OPINION = "acceptance_opinion", "联合验收意见书 joint acceptance opinion"
    PAUSE_NOTICE = "pause_notice", "特别程序告知书 clock pause notice"


class IssuedDocument(models.Model):
    """A numbered document with a public verification code. Drafts are visible only to the centre."""

    class State(models.TextChoices):
        DRAFT = "draft", "草稿 draft"
        ISSUED = "issued", "已签发 issued"

    kind = models.CharField(max_length=30, choices=IssuedKind.choices)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="issued_documents")
    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, null=True, blank=True, related_name="notices")
    number = models.CharField("文号 number", max_length=40, unique=True)
    verification_code = models.CharField("验证码 verification code", max_length=32, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    title = models.CharField(max_length=120)
    agency = models.ForeignKey(
        "projects.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The one agency a document concerns (a pause notice); empty for the application's documents.",
    )
    content = models.JSONField("内容快照 content snapshot", default=dict)
    file = models.FileField(upload_to="issued/%Y/", max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "出具文书 issued document"
        verbose_name_plural = "出具文书 issued documents"
        constraints = [
            models.UniqueConstraint(
                fields=["round"], condition=models.Q(kind="joint_notice"), name="one_joint_notice_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"


class NoticeDefect(models.Model):
    """One line of a one-time notice (一次告知): every missing or defective item, listed at once."""

    notice = models.ForeignKey(IssuedDocument, on_delete=models.CASCADE, related_name="defects")
    material = models.ForeignKey("jointreview.Material", on_delete=models.PROTECT, related_name="+")
    problem = models.CharField(max_length=20)
    note = models.CharField(max_length=NOTE_MAX, blank=True, validators=no_nul())

    class Meta:
        ordering = ["notice", "id"]
        verbose_name = "告知事项 notice defect"
        verbose_name_plural = "告知事项 notice defects"

    def __str__(self) -> str:
        return f"{self.material_id}: {self.problem}"


class SurveyReport(models.Model):
    """多测合一 分编报告: one report per receiving department; each department sees only its own."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="survey_reports")
    department = models.ForeignKey("projects.Organization", on_delete=models.PROTECT, related_name="survey_reports")
    title = models.CharField(max_length=200)
    document_version = models.ForeignKey(
        "projects.DocumentVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "分编测绘报告 survey report"
        verbose_name_plural = "分编测绘报告 survey reports"
        constraints = [
            models.UniqueConstraint(fields=["application", "department"], name="surveyreport_unique_dept"),
        ]

    def __str__(self) -> str:
        return self.title
