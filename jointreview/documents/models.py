"""Documents the centre issues: the one-time notice (一次告知书), joint notices, certificates, survey reports."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jointreview.intake.models import Application
from jointreview.limits import NOTE_MAX, no_nul
from jointreview.review.models import ReviewRound


class IssuedKind(models.TextChoices):
    COMPLETENESS_NOTICE = "completeness_notice", _("one-time notice")
    JOINT_NOTICE = "joint_notice", _("joint review notice")
    CERTIFICATE = "certificate", _("approval certificate")
    ACCEPTANCE_OPINION = "acceptance_opinion", _("joint acceptance opinion")
    PAUSE_NOTICE = "pause_notice", _("clock pause notice")


class IssuedDocument(models.Model):
    """A numbered document with a public verification code. Drafts are visible only to the centre."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        ISSUED = "issued", _("issued")

    kind = models.CharField(verbose_name=_("kind"), max_length=30, choices=IssuedKind.choices)
    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="issued_documents",
    )
    round = models.ForeignKey(
        ReviewRound, verbose_name=_("round"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="notices",
    )
    number = models.CharField(_("document number"), max_length=40, unique=True)
    verification_code = models.CharField(_("verification code"), max_length=32, unique=True)
    state = models.CharField(verbose_name=_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    title = models.CharField(verbose_name=_("title"), max_length=120)
    agency = models.ForeignKey(
        "projects.Organization", verbose_name=_("review agency"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
        help_text=_("The one agency a document concerns (a pause notice); empty for the application's "
                    "documents."),
    )
    content = models.JSONField(_("content snapshot"), default=dict)
    file = models.FileField(verbose_name=_("file"), upload_to="issued/%Y/", max_length=300, blank=True)
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    issued_at = models.DateTimeField(verbose_name=_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        constraints = [
            models.UniqueConstraint(
                fields=["round"], condition=models.Q(kind="joint_notice"), name="one_joint_notice_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"


class NoticeDefect(models.Model):
    """One line of a one-time notice (一次告知): every missing or defective item, listed at once."""

    notice = models.ForeignKey(
        IssuedDocument, verbose_name=_("notice"), on_delete=models.CASCADE, related_name="defects",
    )
    material = models.ForeignKey(
        "jointreview.Material", verbose_name=_("material"), on_delete=models.PROTECT, related_name="+",
    )
    problem = models.CharField(verbose_name=_("problem"), max_length=20)
    note = models.CharField(verbose_name=_("remarks"), max_length=NOTE_MAX, blank=True, validators=no_nul())

    class Meta:
        ordering = ["notice", "id"]
        verbose_name = _("notice defect")
        verbose_name_plural = _("notice defects")

    def __str__(self) -> str:
        return f"{self.material_id}: {self.problem}"


class SurveyReport(models.Model):
    """多测合一 分编报告: one report per receiving department; each department sees only its own."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="survey_reports",
    )
    department = models.ForeignKey(
        "projects.Organization", verbose_name=_("receiving department"), on_delete=models.PROTECT,
        related_name="survey_reports",
    )
    title = models.CharField(verbose_name=_("title"), max_length=200)
    document_version = models.ForeignKey(
        "projects.DocumentVersion", verbose_name=_("document version"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+"
    )
    delivered_at = models.DateTimeField(verbose_name=_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey report")
        verbose_name_plural = _("survey reports")
        constraints = [
            models.UniqueConstraint(fields=["application", "department"], name="surveyreport_unique_dept"),
        ]

    def __str__(self) -> str:
        return self.title
