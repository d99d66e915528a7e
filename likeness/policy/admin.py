from __future__ import annotations

from django.contrib import admin

from likeness.audit.admin_base import ReadOnlyAdmin
from likeness.policy.models import Decision


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "purpose", "performer", "production", "use", "outcome")
    list_filter = ("outcome", "purpose")
