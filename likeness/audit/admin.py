from __future__ import annotations

from django.contrib import admin

from likeness.audit.admin_base import ReadOnlyAdmin
from likeness.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label", "hash")
