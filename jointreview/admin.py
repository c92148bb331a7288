from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy, ngettext

from jointreview.accounts import admin as accounts_admin  # noqa: F401  (registers the projects app's models)
from jointreview.accounts.logins import login_lockout_lift
from jointreview.admin_audit import AuditedAdmin
from jointreview.clocks import services as clock_service
from jointreview.services.errors import ServiceError

from .models import (
    Application,
    ApplicationItem,
    ApplicationMaterial,
    Assignment,
    AuditEvent,
    CalendarDay,
    CalendarYear,
    Clock,
    ClockEvent,
    DeadlineChange,
    Deferral,
    ExtensionRequest,
    FeeOrder,
    FeeSplit,
    Finding,
    FindingTemplate,
    IssuedDocument,
    Item,
    Material,
    NoticeDefect,
    Notification,
    NotificationDelivery,
    NotificationProfile,
    NotificationRead,
    Opinion,
    OpinionAttachment,
    PauseRequest,
    ProjectLight,
    RegionalEvaluation,
    ReviewRound,
    Stage,
    StageCap,
    SupervisionRecord,
    SurveyReport,
    Workflow,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the services (append-only or immutable): viewable, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- catalogue: edited by the centre admin -------------------------------------------------
@admin.register(Stage)
class StageAdmin(AuditedAdmin):
    list_display = ["code", "name", "lead_agency", "counts_to_timeline"]


@admin.register(ProjectLight)
class ProjectLightAdmin(ReadOnlyAdmin):
    """The cached budget light of each project, refreshed by ``project_budget_refresh``; read only."""

    list_display = ["project", "light", "used_days", "remaining_days", "projected_finish", "complete", "evaluated_on"]
    list_filter = ["light", "complete"]


@admin.register(StageCap)
class StageCapAdmin(AuditedAdmin):
    """Caps per stage and project type; StageCap.clean refuses stage 1-3 caps over JR_TOTAL_TARGET_DAYS."""

    list_display = ["flow_type", "stage", "cap_days", "source"]
    list_filter = ["flow_type", "stage"]


@admin.register(Workflow)
class WorkflowAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "stage", "lead_agency", "lead_reads_all", "limit_value", "limit_unit",
                    "single_fee"]
    list_filter = ["kind", "stage"]


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0


@admin.register(Item)
class ItemAdmin(AuditedAdmin):
    list_display = [
        "code", "name", "workflow", "agency", "competitive", "promised_limit_value", "promised_limit_unit",
        "legal_limit_value", "allows_deferral", "allows_commitment", "fee",
    ]
    list_filter = ["workflow", "kind", "competitive", "allows_deferral", "allows_commitment"]
    search_fields = ["code", "name"]
    inlines = [MaterialInline]


@admin.register(Material)
class MaterialAdmin(AuditedAdmin):
    list_display = ["code", "name", "item", "essential", "shared", "accepted_types"]
    list_filter = ["essential", "shared", "item__workflow"]
    search_fields = ["code", "name"]


@admin.register(RegionalEvaluation)
class RegionalEvaluationAdmin(AuditedAdmin):
    list_display = ["title", "zone", "mode", "valid_from", "valid_to"]
    list_filter = ["zone", "mode"]
    filter_horizontal = ["items"]


@admin.register(FindingTemplate)
class FindingTemplateAdmin(AuditedAdmin):
    list_display = ["speciality", "standard", "clause", "mandatory", "text"]
    list_filter = ["speciality", "mandatory"]
    search_fields = ["standard", "clause", "text"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Through the clock service: audited, and every deadline the day moves is recomputed (with a
    DeadlineChange row)."""

    list_display = ["date", "is_workday", "name", "source"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    actions = ["delete_days"]

    def get_readonly_fields(self, request, obj=None):
        return ["date"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        row = clock_service.calendar_day_set(actor=request.user, day=obj.date, is_workday=obj.is_workday,
                                             name=obj.name, source=obj.source)
        obj.pk, obj._state.adding = row.pk, False

    def delete_model(self, request, obj):
        clock_service.calendar_day_delete(actor=request.user, day=obj.date)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=gettext_lazy("Delete the selected days (deadlines are recomputed)"),
                  permissions=["delete"])
    def delete_days(self, request, queryset):
        try:
            with transaction.atomic():
                for row in queryset:
                    clock_service.calendar_day_delete(actor=request.user, day=row.date)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    list_display = ["year", "source", "imported_at", "imported_by"]


# --- records of the process: written by services, read here ---------------------------------
class ApplicationItemInline(admin.TabularInline):
    model = ApplicationItem
    extra = 0
    can_delete = False
    readonly_fields = ["item", "required", "reason", "evaluation_mode", "regional_evaluation", "agency"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["number", "project", "workflow", "status", "acceptance_mode", "current_round", "accepted_on"]
    list_filter = ["status", "workflow"]
    search_fields = ["number", "project__name", "project__code"]
    inlines = [ApplicationItemInline]


for model, fields in [
    (ApplicationItem, ["application", "item", "required", "agency"]),
    (ApplicationMaterial, ["application", "material", "document", "check_status"]),
    (Deferral, ["application", "material", "promised_date", "fulfilled_at"]),
    (FeeOrder, ["application", "total", "paid_at"]),
    (FeeSplit, ["order", "recipient", "amount"]),
    (ReviewRound, ["application", "number", "opened_at", "completed_at"]),
    (Assignment, ["application", "agency", "round_number", "status", "reviewer", "due_date", "notify_status"]),
    (PauseRequest, ["assignment", "reason", "expected_days", "status", "requested_by", "decided_by"]),
    (Opinion, ["assignment", "version", "state", "outcome", "signed_by", "signed_at"]),
    (Finding, ["opinion", "number", "standard", "clause", "mandatory", "state", "response"]),
    (OpinionAttachment, ["opinion", "original_name", "size", "uploaded_at"]),
    (IssuedDocument, ["number", "kind", "application", "state", "issued_at"]),
    (NoticeDefect, ["notice", "material", "problem"]),
    (SurveyReport, ["application", "department", "title", "delivered_at"]),
    (Clock, ["id", "kind", "state", "started_on", "due_date", "light", "provisional"]),
    (ClockEvent, ["clock", "seq", "kind", "on", "days", "reason", "actor"]),
    (DeadlineChange, ["clock", "old_due", "new_due", "was_provisional", "cause", "changed_at"]),
    (AuditEvent, ["at", "actor_name", "actor_organization", "verb", "target_type", "target_id", "application"]),
    (Notification, ["created_at", "organization", "user", "kind", "subject", "emailed_at"]),
    (NotificationRead, ["notification", "user", "read_at"]),
    (NotificationProfile, ["user", "read_upto", "updated_at"]),
    (NotificationDelivery, ["notification", "address", "language", "sent_at"]),
    (SupervisionRecord, ["number", "level", "light", "rule_code", "application", "status", "respond_by"]),
    (ExtensionRequest, ["assignment", "days", "status", "requested_by", "decided_by", "decided_at"]),
]:
    admin.site.register(model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,), {"list_display": fields}))


# --- beat schedules and groups: a superuser's (jointreview/auth.py), and audited ---------------------
def _audited(model):
    """Re-register a third-party admin with the audit mixin in front of it."""
    current = admin.site._registry.get(model)
    if current is None:
        return
    admin.site.unregister(model)
    admin.site.register(model, type(f"Audited{type(current).__name__}", (AuditedAdmin, type(current)), {}))


def _audit_third_party() -> None:
    from django.contrib.auth.models import Group
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    for model in (PeriodicTask, IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule, Group):
        _audited(model)


_audit_third_party()


# --- login lockouts (django-axes): seen and lifted by the centre admin -------------------------
# axes registers its own AccessAttempt admin (INSTALLED_APPS puts axes first); this one replaces it so
# that every way of lifting a lockout here (the action, deleting one row or several) goes through the
# audited service.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AxesAccessAttemptAdmin):
    actions = ["lift_lockout", "cleanup_expired_attempts"]

    @admin.action(description=gettext_lazy("Lift the lockout (the login name and the address may log in again)"),
                  permissions=["delete"])
    def lift_lockout(self, request, queryset):
        self._lift(request, list(queryset.values_list("pk", flat=True)))

    def delete_model(self, request, obj):
        self._lift(request, [obj.pk], quiet=True)

    def delete_queryset(self, request, queryset):
        self._lift(request, list(queryset.values_list("pk", flat=True)), quiet=True)

    def _lift(self, request, ids: list[int], quiet: bool = False) -> None:
        try:
            removed = login_lockout_lift(actor=request.user, attempt_ids=ids)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        if not quiet:
            self.message_user(request, ngettext(
                "Lockout lifted: %(count)d failed-login record removed.",
                "Lockout lifted: %(count)d failed-login records removed.", removed) % {"count": removed})
