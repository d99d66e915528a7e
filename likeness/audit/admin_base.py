"""Admin helpers: operator edits are audited like any other change, and immutable records stay read-only."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict

from likeness.audit.services import audit_record


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # for any model; generic only in the stubs
    """Every save or delete through the admin writes an audit event in the same transaction."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(actor=request.user, action=f"admin.{obj._meta.model_name}.{'changed' if change else 'added'}",
                         obj=obj, data={"fields": sorted(form.changed_data),
                                        "values": {k: str(v) for k, v in model_to_dict(obj).items()
                                                   if k in form.changed_data}})

    def delete_model(self, request: Any, obj: Any) -> None:
        with transaction.atomic():
            audit_record(actor=request.user, action=f"admin.{obj._meta.model_name}.deleted", obj=obj,
                         data={"repr": str(obj)})
            super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # for any model; generic only in the stubs
    """For records that must never change outside their services (decisions, audit events, grants)."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
