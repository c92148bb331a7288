from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Document, DocumentVersion, Organization, Project, Speciality, User, Zone


@admin.register(Speciality)
class SpecialityAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "agency_type", "credit_rating", "is_active"]
    list_filter = ["kind", "agency_type", "is_active"]
    search_fields = ["name", "short_name", "credit_code"]
    filter_horizontal = ["specialities"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "organization", "role", "is_absent", "is_active"]
    list_filter = ["role", "is_active", "is_absent"]
    search_fields = ["username", "display_name", "email"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("机构与角色 Organization and role", {"fields": ("organization", "role", "display_name", "phone", "is_absent")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        ("机构与角色 Organization and role", {"fields": ("organization", "role", "display_name")}),
    )


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
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
class DocumentAdmin(admin.ModelAdmin):
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
