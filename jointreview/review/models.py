"""Review by the agencies: rounds, assignments, pauses, opinions and findings."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
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

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="rounds",
    )
    number = models.PositiveSmallIntegerField(_("round"))
    opened_at = models.DateTimeField(verbose_name=_("opened at"), auto_now_add=True)
    completed_at = models.DateTimeField(
        verbose_name=_("completed at"), null=True, blank=True,
        help_text=_("Set, under a lock, when the last assignment's opinion is signed.")
    )

    class Meta:
        ordering = ["application", "number"]
        verbose_name = _("review round")
        verbose_name_plural = _("review rounds")
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="round_unique_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="round_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.application.number} round {self.number}"


class AssignmentStatus(models.TextChoices):
    UNASSIGNED = "unassigned", _("unassigned")
    IN_REVIEW = "in_review", _("in review")
    SIGNED = "signed", _("opinion signed")
    CANCELLED = "cancelled", _("cancelled")


OPEN_ASSIGNMENT_STATUSES = frozenset({AssignmentStatus.UNASSIGNED, AssignmentStatus.IN_REVIEW})


class NotifyStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Assignment(models.Model):
    """One agency's portion of one application in one round (unique per application+agency+round)."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="assignments",
    )
    round = models.ForeignKey(
        ReviewRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="assignments",
    )
    round_number = models.PositiveSmallIntegerField(_("round"))
    agency = models.ForeignKey(
        "projects.Organization", verbose_name=_("agency"), on_delete=models.PROTECT,
        related_name="assignments",
    )
    items = models.ManyToManyField(ApplicationItem, verbose_name=_("items"), related_name="assignments")
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=AssignmentStatus.choices,
        default=AssignmentStatus.UNASSIGNED,
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("reviewer (A)"),
    )
    backup = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("backup (B)"),
    )
    clock = models.OneToOneField(
        Clock, verbose_name=_("clock"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="assignment",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    previous = models.ForeignKey(
        "self", verbose_name=_("previous round's assignment"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="next_rounds",
        help_text=_("The same agency's assignment in the previous round."),
    )
    # The agency's portion (its materials), fixed from the catalogue when the assignment is made:
    # the material codes it reads, or every material (reads_all: the workflow's lead when the
    # catalogue says so). Document grants follow it (jointreview/policy/portions.py).
    portion = models.JSONField(_("portion (material codes)"), default=list, blank=True)
    reads_all = models.BooleanField(_("reads every material"), default=False)
    notify_status = models.CharField(
        verbose_name=_("notification status"), max_length=10, choices=NotifyStatus.choices,
        default=NotifyStatus.PENDING,
    )
    notify_attempts = models.PositiveSmallIntegerField(verbose_name=_("notification attempts"), default=0)
    notified_at = models.DateTimeField(verbose_name=_("notified at"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["application", "round_number", "agency__name"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
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
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")
        ENDED = "ended", _("ended")

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="pause_requests",
    )
    reason = models.CharField(verbose_name=_("reason"), max_length=20, choices=PauseReason.choices)
    reason_text = models.CharField(_("reason details"), max_length=NOTE_MAX, validators=no_nul())
    expected_days = models.PositiveSmallIntegerField(
        _("expected length (working days)"),
        validators=[MinValueValidator(1), MaxValueValidator(pause_max_days)],
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+",
    )
    requested_at = models.DateTimeField(verbose_name=_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    owner_told_at = models.DateTimeField(verbose_name=_("owner told at"), null=True, blank=True)

    # requested or running: a second request waits until this one is decided or ended
    ACTIVE_STATUSES = frozenset({Status.REQUESTED, Status.APPROVED})

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("pause request")
        verbose_name_plural = _("pause requests")
        constraints = [
            models.CheckConstraint(condition=models.Q(expected_days__gte=1), name="pause_expected_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.status})"


class Outcome(models.TextChoices):
    PASS = "pass", _("pass")
    PASS_WITH_CONDITIONS = "conditional", _("pass with conditions")
    REVISE = "revise", _("revise and resubmit")
    REJECT = "reject", _("reject")


PASSING_OUTCOMES = frozenset({Outcome.PASS, Outcome.PASS_WITH_CONDITIONS})
OUTCOMES_NEEDING_FINDINGS = frozenset({Outcome.REVISE, Outcome.REJECT})


class Opinion(models.Model):
    """审查意见. Signing makes it immutable; a correction is a new version with a reason."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SIGNED = "signed", _("signed")

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="opinions",
    )
    version = models.PositiveSmallIntegerField(verbose_name=_("version"), default=1)
    state = models.CharField(verbose_name=_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    outcome = models.CharField(verbose_name=_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    summary = models.TextField(
        _("summary"), blank=True, max_length=OPINION_SUMMARY_MAX, validators=text_limit(OPINION_SUMMARY_MAX)
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signed by"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(verbose_name=_("signed at"), null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", verbose_name=_("corrects"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="superseded_by"
    )
    correction_reason = models.CharField(
        _("correction reason"), max_length=NOTE_MAX, blank=True, validators=no_nul()
    )

    class Meta:
        ordering = ["assignment", "version"]
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
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
        OPEN = "open", pgettext_lazy("finding state", "open")
        CLOSED = "closed", _("closed")

    class Response(models.TextChoices):
        NONE = "", "—"
        FIXED = "fixed", _("fixed")
        DISPUTED = "disputed", _("disputed")

    opinion = models.ForeignKey(
        Opinion, verbose_name=_("opinion"), on_delete=models.CASCADE, related_name="findings",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    speciality = models.ForeignKey(
        "projects.Speciality", verbose_name=_("speciality"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+"
    )
    document_version = models.ForeignKey(
        "projects.DocumentVersion", verbose_name=_("document version"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="findings"
    )
    sheet = models.CharField(_("sheet"), max_length=60, blank=True, validators=no_nul())
    standard = models.CharField(
        _("standard"), max_length=80, blank=True, help_text=_("e.g. GB 50016-2014"), validators=no_nul()
    )
    clause = models.CharField(
        _("clause"), max_length=30, blank=True, help_text=_("e.g. 5.3.1"), validators=no_nul(),
    )
    mandatory = models.BooleanField(_("mandatory"), default=False)
    text = models.TextField(
        _("finding text"), max_length=FINDING_TEXT_MAX, validators=text_limit(FINDING_TEXT_MAX),
    )
    state = models.CharField(verbose_name=_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    carried_from = models.ForeignKey(
        "self", verbose_name=_("carried from"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="carried_to"
    )
    response = models.CharField(
        verbose_name=_("response"), max_length=10, choices=Response.choices, blank=True, default="",
    )
    response_text = models.TextField(
        _("response"), blank=True, max_length=FINDING_TEXT_MAX, validators=text_limit(FINDING_TEXT_MAX)
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(verbose_name=_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["opinion", "number"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [models.UniqueConstraint(fields=["opinion", "number"], name="finding_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:40]}"


def _attachment_path(instance: OpinionAttachment, filename: str) -> str:
    """Derived from the content's sha256; the user's file name never enters a path."""
    return f"opinions/{instance.sha256[:2]}/{instance.sha256}"


class OpinionAttachment(models.Model):
    """意见附件: a file of an opinion (photos, marked-up drawings ...). Changed only on a draft; a
    correction copies the rows (pointing at the same stored file) into the new version."""

    opinion = models.ForeignKey(
        Opinion, verbose_name=_("opinion"), on_delete=models.CASCADE, related_name="attachments",
    )
    file = models.FileField(verbose_name=_("file"), upload_to=_attachment_path, max_length=300)
    original_name = models.CharField(verbose_name=_("original name"), max_length=200)
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(verbose_name=_("size (bytes)"))
    content_type = models.CharField(
        verbose_name=_("content type"), max_length=100, blank=True, help_text=_("Decided from the content."),
    )
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["opinion", "pk"]
        verbose_name = _("opinion attachment")
        verbose_name_plural = _("opinion attachments")

    def __str__(self) -> str:
        return self.original_name


class FindingTemplate(models.Model):
    """A reusable finding from the library of a speciality."""

    speciality = models.ForeignKey(
        "projects.Speciality", verbose_name=_("speciality"), on_delete=models.CASCADE,
        related_name="finding_templates",
    )
    agency = models.ForeignKey(
        "projects.Organization", verbose_name=_("review agency"), on_delete=models.CASCADE, null=True,
        blank=True, related_name="+",
        help_text=_("Empty = shared by every agency."),
    )
    standard = models.CharField(verbose_name=_("standard"), max_length=80, blank=True, validators=no_nul())
    clause = models.CharField(verbose_name=_("clause"), max_length=30, blank=True, validators=no_nul())
    mandatory = models.BooleanField(verbose_name=_("mandatory"), default=False)
    text = models.TextField(
        verbose_name=_("finding text"), max_length=FINDING_TEXT_MAX, validators=text_limit(FINDING_TEXT_MAX),
    )

    class Meta:
        ordering = ["speciality", "standard", "clause"]
        verbose_name = _("finding template")
        verbose_name_plural = _("finding templates")

    def __str__(self) -> str:
        return f"{self.standard} {self.clause} {self.text[:30]}"


class AssignmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Assignment, on_delete=models.CASCADE)


class AssignmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Assignment, on_delete=models.CASCADE)
