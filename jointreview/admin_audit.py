"""Admin writes, audited: a mixin for the catalogue and reference-data admins that have no service
of their own (one audit event per save or delete, with the changed fields before and after)."""
from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb


def _value(obj, field: str):
    try:
        f = obj._meta.get_field(field)
    except Exception:  # noqa: BLE001 - a form-only field
        return None
    if f.many_to_many:
        return None if obj.pk is None else sorted(obj.pk for obj in getattr(obj, field).all())
    return getattr(obj, f.attname, None)


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        fields = [f for f in form.changed_data if f in {x.name for x in obj._meta.get_fields()}]
        before = {}
        if change:
            old = type(obj).objects.filter(pk=obj.pk).first()
            before = {f: _value(old, f) for f in fields} if old is not None else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(actor=request.user, verb=AuditVerb.ADMIN_CHANGE if change else AuditVerb.ADMIN_ADD, target=obj,
                         before=before, after={f: _value(obj, f) for f in fields})

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(actor=request.user, verb=AuditVerb.ADMIN_DELETE, target=obj, before={"repr": str(obj)[:200]})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit_record(actor=request.user, verb=AuditVerb.ADMIN_DELETE, target=obj, before={"repr": str(obj)[:200]})
            super().delete_queryset(request, queryset)
