"""电子监察: supervision records (督办单, GB/T 39046 fields, docs/domain.md §9) and clock extensions
(延长审批, 行政许可法 §42)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jointreview.clocks.models import Clock, Light
from jointreview.limits import NOTE_MAX
from projects.validators import no_nul, text_limit

RESPONSE_MAX = 2000  # the addressee's answer to a supervision record


class SupervisionLevel(models.IntegerChoices):
    """The escalation ladder: who is told. A clock's ``alert_level`` uses the same numbers."""

    AGENCY = 1, _("Agency (reviewer and lead)")
    COORDINATOR = 2, _("Agency and accepting coordinator")
    LEADER = 3, _("Centre leader")


class SupervisionSource(models.TextChoices):
    CLOCK = "clock", _("Clock light")
    DEFERRAL = "deferral", _("Overdue deferred material")
    BUDGET = "budget", _("Project budget")
    ESCALATION = "escalation", _("Unanswered supervision record")


class SupervisionStatus(models.TextChoices):
    OPEN = "open", _("Awaiting answer")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


OPEN_SUPERVISION_STATUSES = frozenset({SupervisionStatus.OPEN})
CLOSABLE_SUPERVISION_STATUSES = frozenset({SupervisionStatus.ANSWERED})

# the rules of the ladder (规则编号) and their GB/T 39046 预警类型 (warning-type code)
RULE_TEXTS = {
    "CLK-Y": _("The time limit of a case is near (yellow light)"),
    "CLK-R": _("A case is past its time limit (red light)"),
    "CLK-OD": _("A case is overdue by several working days (to the centre leader)"),
    "DEF-OD": _("A deferred material was not delivered by its promised date"),
    "BUD-Y": _("A project's budget of working days is nearly used"),
    "BUD-R": _("A project's budget of working days is exceeded"),
}
WARNING_TYPES = {"CLK-Y": "1", "CLK-R": "2", "CLK-OD": "3", "DEF-OD": "4", "BUD-Y": "5", "BUD-R": "6"}


class SupervisionRecord(models.Model):
    """督办单: one alert of the ladder, addressed to people who must answer it in the app; the
    coordinator or the centre leader closes it. Unanswered by ``respond_by`` it escalates one level
    (a new record, ``escalated_from`` this one)."""

    number = models.CharField(_("supervision no."), max_length=30, unique=True)  # 督办编号
    key = models.CharField(max_length=120, unique=True)  # what raised it, once (second guard of the sweep)
    source = models.CharField(_("source"), max_length=20, choices=SupervisionSource.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=SupervisionLevel.choices)
    light = models.CharField(_("light"), max_length=10, choices=Light.choices)
    rule_code = models.CharField(_("rule no."), max_length=30)  # 规则编号
    warning_type = models.CharField(_("warning type"), max_length=4)  # 预警类型代码
    # case no. (办件编号): the application; the department and item type (事项类型) of the case
    application = models.ForeignKey("jointreview.Application", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="supervision_records")
    assignment = models.ForeignKey("jointreview.Assignment", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="supervision_records")
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="supervision_records")
    clock = models.ForeignKey(Clock, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    deferral = models.ForeignKey("jointreview.Deferral", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    department = models.ForeignKey("projects.Organization", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("department"))
    item_type = models.CharField(_("item type"), max_length=40, blank=True)
    content = models.CharField(_("supervision content"), max_length=NOTE_MAX, validators=no_nul())
    due_date = models.DateField(_("case due date"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    addressees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="supervision_records",
                                        verbose_name=_("addressees"))
    respond_by = models.DateField(_("response required by"))
    status = models.CharField(_("status"), max_length=20, choices=SupervisionStatus.choices,
                              default=SupervisionStatus.OPEN)
    status_at = models.DateTimeField(_("status time"), auto_now_add=True)
    response = models.TextField(_("response"), blank=True, max_length=RESPONSE_MAX,
                                validators=text_limit(RESPONSE_MAX))
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.CharField(_("closing note"), max_length=NOTE_MAX, blank=True, validators=no_nul())
    escalated_from = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="escalated_to")
    escalated_at = models.DateTimeField(null=True, blank=True)  # when the next level was raised from it

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("supervision record")
        verbose_name_plural = _("supervision records")
        indexes = [models.Index(fields=["status", "respond_by"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="answered") | models.Q(responded_by__isnull=False),
                name="supervision_answer_has_author"),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | models.Q(closed_by__isnull=False),
                name="supervision_close_has_closer"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def rule_text(self) -> str:
        return str(RULE_TEXTS.get(self.rule_code, self.rule_code))


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ExtensionRequest(models.Model):
    """延长审批: the reviewer or the agency lead asks to extend an assignment's clock once (+10 working
    days, 行政许可法 §42); the agency lead (not the requester) or a centre leader decides."""

    assignment = models.ForeignKey("jointreview.Assignment", on_delete=models.PROTECT,
                                   related_name="extension_requests")
    clock = models.ForeignKey(Clock, on_delete=models.PROTECT, related_name="+")
    days = models.PositiveSmallIntegerField(_("days"))
    reason = models.CharField(_("reason"), max_length=NOTE_MAX, validators=no_nul())
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=20, choices=ExtensionStatus.choices,
                              default=ExtensionStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=NOTE_MAX, blank=True, validators=no_nul())

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("clock extension request")
        verbose_name_plural = _("clock extension requests")
        constraints = [
            # the law allows one extension: one request pending or approved per clock
            models.UniqueConstraint(fields=["clock"], condition=models.Q(status__in=["pending", "approved"]),
                                    name="extension_once_per_clock"),
            models.CheckConstraint(condition=models.Q(days__gte=1), name="extension_days_positive"),
        ]

    def __str__(self) -> str:
        return f"+{self.days} {self.assignment_id}"
