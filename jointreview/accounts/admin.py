"""The admin of what comes through the centre (projects app models): organizations and users go
through the account services (audited; privileges only from a superuser; group membership follows
the organization and is never edited here), the rest is audited by ``AuditedAdmin``. It lives in
jointreview/ because the admin site and the services are here (imports flow jointreview -> projects)."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from jointreview.accounts import services as accounts
from jointreview.admin_audit import AuditedAdmin
from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.policy.accounts import can_change_user, can_grant_privileges
from jointreview.services.errors import ServiceError
from projects.models import Document, DocumentVersion, Organization, Project, Speciality, User, Zone


@admin.register(Speciality)
class SpecialityAdmin(AuditedAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "agency_type", "credit_rating", "is_active"]
    list_filter = ["kind", "agency_type", "is_active"]
    search_fields = ["name", "short_name", "credit_code"]
    filter_horizontal = ["specialities"]

    def save_model(self, request, obj, form, change):
        accounts.organization_save(actor=request.user, organization=obj)

    def has_delete_permission(self, request, obj=None):
        return bool(request.user.is_superuser)  # deactivate instead (is_active)


class _PrivilegeCheck:
    """The admin's user forms refuse, as a form error, what the actor may not change."""

    actor = None

    def clean(self):
        cleaned = super().clean()
        changes = {f: cleaned.get(f) for f in accounts.USER_FIELDS + accounts.PRIVILEGE_FIELDS if f in cleaned}
        user = self.instance if self.instance.pk else None
        try:
            accounts.check_user_change(actor=self.actor, user=user, changes=changes)
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from None
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users are created and changed through ``jointreview.accounts.services`` (audited). Group
    membership follows the organization (no groups or raw permissions here); superuser and staff
    status only from a superuser."""

    list_display = ["username", "display_name", "organization", "role", "is_absent", "is_active"]
    list_filter = ["role", "is_active", "is_absent"]
    search_fields = ["username", "display_name", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Organization and role"), {"fields": ("organization", "role", "display_name", "phone", "is_absent")}),
        (_("Status"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("Organization and role"), {"fields": ("organization", "role", "display_name")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def get_readonly_fields(self, request, obj=None):
        ro = list(super().get_readonly_fields(request, obj))
        if not can_grant_privileges(request.user):
            ro += ["is_staff", "is_superuser"]
        return ro

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (_PrivilegeCheck, form), {"actor": request.user})

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_change_user(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return bool(request.user.is_superuser)  # deactivate instead (is_active)

    def save_model(self, request, obj, form, change):
        if change:
            values = {f: form.cleaned_data[f] for f in form.changed_data
                      if f in accounts.USER_FIELDS + accounts.PRIVILEGE_FIELDS}
            if values:
                accounts.user_update(actor=request.user, user=obj.pk, **values)
            return
        extra = {f: form.cleaned_data[f] for f in ("display_name", "email", "first_name", "last_name")
                 if form.cleaned_data.get(f)}
        password = form.cleaned_data.get("password1") if form.cleaned_data.get("usable_password", True) else None
        user = accounts.user_create(actor=request.user, username=form.cleaned_data["username"], password=password,
                                    organization=form.cleaned_data.get("organization"),
                                    role=form.cleaned_data.get("role") or "", **extra)
        obj.pk, obj.id, obj._state.adding = user.pk, user.pk, False

    def save_related(self, request, form, formsets, change):
        pass  # no groups or raw permissions: membership follows the organization

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and isinstance(response, HttpResponseRedirect):
            target = User.objects.filter(pk=id).first()
            if target is not None:
                audit_record(actor=request.user, verb=AuditVerb.USER_PASSWORD_SET, target=target)
                messages.info(request, _("The password change was recorded in the audit log."))
        return response


@admin.register(Zone)
class ZoneAdmin(AuditedAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Project)
class ProjectAdmin(AuditedAdmin):
    list_display = ["code", "name", "owner", "flow_type", "floor_area", "filing_date", "zone"]
    list_filter = ["flow_type", "zone"]
    search_fields = ["code", "name", "owner__name"]
    autocomplete_fields = ["owner"]


class DocumentVersionInline(admin.TabularInline):
    model = DocumentVersion
    extra = 0
    can_delete = False
    fields = ["number", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(AuditedAdmin):
    list_display = ["title", "project", "material_code", "created_at"]
    search_fields = ["title", "project__name", "project__code"]
    inlines = [DocumentVersionInline]


@admin.register(DocumentVersion)
class DocumentVersionAdmin(admin.ModelAdmin):
    """Immutable: versions are added by uploads, never edited here."""

    list_display = ["document", "number", "original_name", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["document__title", "original_name", "sha256"]
    readonly_fields = [f.name for f in DocumentVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
