"""The working-day calendar tables and the statutory clocks (docs/domain.md §4)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jointreview.catalogue.models import ResubmissionPolicy, TimeUnit
from jointreview.limits import NOTE_MAX, no_nul


class CalendarDay(models.Model):
    """A centre-maintained day: wins over the chinese-calendar package (holiday or 调休 working day)."""

    date = models.DateField("日期 date", unique=True)
    is_workday = models.BooleanField("工作日 working day")
    name = models.CharField("名称 name", max_length=60, blank=True, validators=no_nul())
    source = models.CharField("依据 source", max_length=200, blank=True, validators=no_nul())

    class Meta:
        ordering = ["date"]
        verbose_name = "日历调整 calendar day"
        verbose_name_plural = "日历调整 calendar days"

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'} {self.name}"


class CalendarYear(models.Model):
    """A year whose official schedule (国办 holiday notice) was imported by the centre."""

    year = models.PositiveSmallIntegerField("年份 year", unique=True)
    source = models.CharField("依据 source", max_length=200, validators=no_nul())
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["year"]
        verbose_name = "官方日历年度 official calendar year"
        verbose_name_plural = "官方日历年度 official calendar years"

    def __str__(self) -> str:
        return str(self.year)


class ClockState(models.TextChoices):
    NOT_STARTED = "not_started", "未开始 not started"
    RUNNING = "running", "计时中 running"
    PAUSED = "paused", "暂停 paused"
    STOPPED = "stopped", "已停止 stopped"


class Light(models.TextChoices):
    GREEN = "green", "绿灯 green"
    YELLOW = "yellow", "黄灯 yellow"
    RED = "red", "红灯 red"


class Clock(models.Model):
    """A statutory clock. The truth is its event list; the fields below cache the last evaluation."""

    class Kind(models.TextChoices):
        APPLICATION = "application", "申请 application"
        ASSIGNMENT = "assignment", "部门审查 assignment"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    limit_value = models.PositiveIntegerField("时限 limit")
    limit_unit = models.CharField(max_length=10, choices=TimeUnit.choices, default=TimeUnit.WORKING)
    policy = models.CharField(max_length=10, choices=ResubmissionPolicy.choices, default=ResubmissionPolicy.RESUME)
    warn_days = models.PositiveSmallIntegerField(null=True, blank=True)
    warn_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    # cache of the last evaluation (recomputed by services.clocks and the beat sweep)
    state = models.CharField(max_length=20, choices=ClockState.choices, default=ClockState.NOT_STARTED)
    started_on = models.DateField(null=True, blank=True)
    due_date = models.DateField("到期日 due date", null=True, blank=True)
    used_days = models.IntegerField(default=0)
    paused_days = models.IntegerField(default=0)
    remaining_days = models.IntegerField(default=0)
    light = models.CharField(max_length=10, choices=Light.choices, default=Light.GREEN)
    provisional = models.BooleanField("暂定(日历未发布) provisional", default=False)
    evaluated_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "时限 clock"
        verbose_name_plural = "时限 clocks"
        indexes = [models.Index(fields=["state", "light"]), models.Index(fields=["provisional"])]
        constraints = [models.CheckConstraint(condition=models.Q(limit_value__gte=1), name="clock_limit_positive")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} clock #{self.pk} due {self.due_date}"


class PauseReason(models.TextChoices):
    SUPPLEMENT = "supplement", "补正 supplement"
    EXPERT_REVIEW = "expert_review", "专家评审 expert review"
    HEARING = "hearing", "听证 hearing"
    TESTING = "testing", "检验检测 testing"
    SITE_INSPECTION = "site_inspection", "现场踏勘 site inspection"
    REVISION = "revision", "修改复审 design revision"
    OTHER = "other", "其他 other"


class ClockEvent(models.Model):
    """Append-only: never updated or deleted (the admin is read-only for it)."""

    class Kind(models.TextChoices):
        START = "start", "开始 start"
        PAUSE = "pause", "暂停 pause"
        RESUME = "resume", "恢复 resume"
        EXTEND = "extend", "延长 extension"
        STOP = "stop", "停止 stop"

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    on = models.DateField("日期 date")
    days = models.PositiveIntegerField(default=0, help_text="extension length / expected pause length")
    reason = models.CharField(max_length=20, choices=PauseReason.choices, blank=True)
    reason_text = models.CharField(max_length=NOTE_MAX, blank=True, validators=no_nul())
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["clock", "seq"]
        verbose_name = "计时事件 clock event"
        verbose_name_plural = "计时事件 clock events"
        constraints = [
            models.UniqueConstraint(fields=["clock", "seq"], name="clockevent_unique_seq"),
            models.CheckConstraint(
                condition=~models.Q(kind="extend") | (models.Q(days__gte=1) & models.Q(approver__isnull=False)),
                name="clockevent_extension_needs_days_and_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.on}"


class DeadlineChange(models.Model):
    """Which deadlines moved when the calendar changed (e.g. a year's schedule was imported)."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="changes")
    old_due = models.DateField(null=True)
    new_due = models.DateField(null=True)
    was_provisional = models.BooleanField()
    cause = models.CharField(max_length=200)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at"]
        verbose_name = "时限变更 deadline change"
        verbose_name_plural = "时限变更 deadline changes"

    def __str__(self) -> str:
        return f"clock {self.clock_id}: {self.old_due} -> {self.new_due}"


class ProjectLight(models.Model):
    """The last evaluation of a project's filing-to-permit budget (a cache the sweep refreshes in bulk).

    The truth is the clocks' events (``clocks.budgets.project_budgets``); ``project_budget_refresh`` moves these
    rows with conditional updates and returns the light transitions, so each transition is seen once.
    """

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, primary_key=True, related_name="budget_light"
    )
    light = models.CharField(max_length=10, choices=Light.choices, default=Light.GREEN)
    used_days = models.IntegerField(default=0)
    remaining_days = models.IntegerField(default=0)
    projected_finish = models.DateField(null=True, blank=True)
    complete = models.BooleanField(default=False)
    evaluated_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("project budget light")
        verbose_name_plural = _("project budget lights")
        indexes = [models.Index(fields=["light"])]

    def __str__(self) -> str:
        return f"project {self.project_id}: {self.light}"
