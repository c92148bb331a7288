"""The working-day calendar tables and the statutory clocks (docs/domain.md §4)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jointreview.catalogue.models import ResubmissionPolicy, TimeUnit
from jointreview.limits import NOTE_MAX, no_nul


class CalendarDay(models.Model):
    """A centre-maintained day: wins over the chinese-calendar package (holiday or 调休 working day)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=60, blank=True, validators=no_nul())
    source = models.CharField(_("source"), max_length=200, blank=True, validators=no_nul())

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        kind = _("working day") if self.is_workday else _("holiday")
        return f"{self.date} {kind} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose official schedule (国办 holiday notice) was imported by the centre."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=200, validators=no_nul())
    imported_at = models.DateTimeField(verbose_name=_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+"
    )

    class Meta:
        ordering = ["year"]
        verbose_name = _("official calendar year")
        verbose_name_plural = _("official calendar years")

    def __str__(self) -> str:
        return str(self.year)


class ClockState(models.TextChoices):
    NOT_STARTED = "not_started", _("not started")
    RUNNING = "running", _("running")
    PAUSED = "paused", _("paused")
    STOPPED = "stopped", _("stopped")


# a clock that has started and not stopped: what the sweeps evaluate and the pages count as open
OPEN_CLOCK_STATES = (ClockState.RUNNING, ClockState.PAUSED)


class Light(models.TextChoices):
    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")


def light_order() -> models.Case:
    """Red 0, yellow 1, green 2: the clocks dashboard's and API's first sort key (the index ``clock_open_sort_idx``
    is on this same expression, so a page of open clocks is read in index order, not sorted from all of them)."""
    return models.Case(
        models.When(light=Light.RED, then=models.Value(0)),
        models.When(light=Light.YELLOW, then=models.Value(1)),
        default=models.Value(2),
        output_field=models.IntegerField(),
    )


class Clock(models.Model):
    """A statutory clock. The truth is its event list; the fields below cache the last evaluation."""

    class Kind(models.TextChoices):
        APPLICATION = "application", pgettext_lazy("clock kind", "application")
        ASSIGNMENT = "assignment", pgettext_lazy("clock kind", "assignment")

    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=Kind.choices)
    limit_value = models.PositiveIntegerField(_("limit"))
    limit_unit = models.CharField(
        verbose_name=_("limit unit"), max_length=10, choices=TimeUnit.choices, default=TimeUnit.WORKING,
    )
    policy = models.CharField(
        verbose_name=_("resubmission policy"), max_length=10, choices=ResubmissionPolicy.choices,
        default=ResubmissionPolicy.RESUME,
    )
    warn_days = models.PositiveSmallIntegerField(
        verbose_name=_("yellow at N working days left"), null=True, blank=True,
    )
    warn_percent = models.PositiveSmallIntegerField(
        verbose_name=_("yellow at X percent left"), null=True, blank=True,
    )
    # cache of the last evaluation (recomputed by services.clocks and the beat sweep)
    state = models.CharField(
        verbose_name=_("state"), max_length=20, choices=ClockState.choices, default=ClockState.NOT_STARTED,
    )
    started_on = models.DateField(verbose_name=_("started on"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    used_days = models.IntegerField(verbose_name=_("used days"), default=0)
    paused_days = models.IntegerField(verbose_name=_("paused days"), default=0)
    remaining_days = models.IntegerField(verbose_name=_("remaining days"), default=0)
    light = models.CharField(verbose_name=_("light"), max_length=10, choices=Light.choices, default=Light.GREEN)
    provisional = models.BooleanField(_("provisional (calendar not published)"), default=False)
    evaluated_on = models.DateField(verbose_name=_("evaluated on"), null=True, blank=True)
    # the escalation ladder's last alerted level (jointreview/supervision/ladder.py: 0 none, 1 yellow,
    # 2 red, 3 overdue to the centre leader); the escalation sweep alerts once per rise
    alert_level = models.PositiveSmallIntegerField(default=0)
    # the ``seq`` of its last event, set in the same transaction as each event (events are append-only, so
    # this changes exactly when its events do): what figures computed from the events are keyed by
    # (clocks/budgets.py ``_Memo``), without counting the events
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        indexes = [
            models.Index(fields=["state", "light"]),
            models.Index(fields=["provisional"]),
            # the cockpit: applications soonest due first read in index order, the clocks due today counted
            models.Index(fields=["due_date", "id"], name="clock_due_idx"),
            # the clocks dashboard and /api/clocks/: open clocks, red first, then yellow, then by due date
            models.Index(light_order(), models.F("due_date"), models.F("id"), name="clock_open_sort_idx",
                         condition=models.Q(state__in=OPEN_CLOCK_STATES)),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(limit_value__gte=1), name="clock_limit_positive")]

    def __str__(self) -> str:
        return _("%(kind)s clock #%(id)s, due %(due)s") % {
            "kind": self.get_kind_display(), "id": self.pk, "due": self.due_date or "—"}


class PauseReason(models.TextChoices):
    SUPPLEMENT = "supplement", _("supplement")
    EXPERT_REVIEW = "expert_review", _("expert review")
    HEARING = "hearing", _("hearing")
    TESTING = "testing", _("testing")
    SITE_INSPECTION = "site_inspection", _("site inspection")
    REVISION = "revision", _("design revision")
    OTHER = "other", _("other")


class ClockEvent(models.Model):
    """Append-only: never updated or deleted (the admin is read-only for it)."""

    class Kind(models.TextChoices):
        START = "start", _("start")
        PAUSE = "pause", _("pause")
        RESUME = "resume", _("resume")
        EXTEND = "extend", _("extension")
        STOP = "stop", _("stop")

    clock = models.ForeignKey(Clock, verbose_name=_("clock"), on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField(verbose_name=_("sequence"))
    kind = models.CharField(verbose_name=_("kind"), max_length=10, choices=Kind.choices)
    on = models.DateField(_("date"))
    days = models.PositiveIntegerField(
        verbose_name=_("days"), default=0, help_text=_("extension length / expected pause length"),
    )
    reason = models.CharField(verbose_name=_("reason"), max_length=20, choices=PauseReason.choices, blank=True)
    reason_text = models.CharField(
        verbose_name=_("reason details"), max_length=NOTE_MAX, blank=True, validators=no_nul(),
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approver"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+"
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["clock", "seq"]
        verbose_name = _("clock event")
        verbose_name_plural = _("clock events")
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

    clock = models.ForeignKey(Clock, verbose_name=_("clock"), on_delete=models.CASCADE, related_name="changes")
    old_due = models.DateField(verbose_name=_("old due date"), null=True)
    new_due = models.DateField(verbose_name=_("new due date"), null=True)
    was_provisional = models.BooleanField(verbose_name=_("was provisional"))
    cause = models.CharField(verbose_name=_("cause"), max_length=200)
    changed_at = models.DateTimeField(verbose_name=_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at"]
        verbose_name = _("deadline change")
        verbose_name_plural = _("deadline changes")

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
