from __future__ import annotations

from django.contrib import admin

from likeness.audit.admin_base import ReadOnlyAdmin
from likeness.consent.models import ConsentGrant


@admin.register(ConsentGrant)
class ConsentGrantAdmin(ReadOnlyAdmin):
    """Read-only: drafting, two-party activation, amendment and revocation go through the services (API),
    which enforce who may do what and keep the audit trail."""

    list_display = ("performer", "version", "status", "term_start", "term_end", "activated_at", "revoked_at")
    list_filter = ("status",)
    search_fields = ("performer__legal_name", "family")
