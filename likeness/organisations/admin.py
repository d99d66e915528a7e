from __future__ import annotations

from typing import Any

from django.contrib import admin

from likeness.audit.admin_base import AuditedAdmin
from likeness.organisations.models import AuditEngagement, Membership, Organisation


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("name", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ("user", "organisation", "role")
    list_filter = ("role", "organisation")


@admin.register(AuditEngagement)
class AuditEngagementAdmin(AuditedAdmin):
    """Operators grant and revoke engagements here (audited like every admin change)."""

    list_display = ("audit_firm", "starts_on", "ends_on", "period_start", "period_end", "revoked_at")
    list_filter = ("audit_firm",)
    filter_horizontal = ("organisations", "performers")
    readonly_fields = ("granted_by", "created_at", "revoked_by")

    def save_model(self, request: Any, obj: AuditEngagement, form: Any, change: bool) -> None:
        if not change:
            obj.granted_by = request.user
        if obj.revoked_at and not obj.revoked_by_id:
            obj.revoked_by = request.user
        super().save_model(request, obj, form, change)
