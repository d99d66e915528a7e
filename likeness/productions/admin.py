from __future__ import annotations

from django.contrib import admin

from likeness.audit.admin_base import AuditedAdmin
from likeness.productions.models import Production


@admin.register(Production)
class ProductionAdmin(AuditedAdmin):
    list_display = ("title", "studio", "agreement", "labour_action")
    list_filter = ("agreement", "labour_action")
