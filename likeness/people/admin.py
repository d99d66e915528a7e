from __future__ import annotations

from django.contrib import admin

from likeness.audit.admin_base import AuditedAdmin
from likeness.people.models import Performer, ReferenceMaterial, Representation


@admin.register(Performer)
class PerformerAdmin(AuditedAdmin):
    list_display = ("legal_name", "professional_name", "date_of_birth", "date_of_death", "domicile")
    search_fields = ("legal_name", "professional_name")


@admin.register(Representation)
class RepresentationAdmin(AuditedAdmin):
    list_display = ("performer", "organisation", "kind")


@admin.register(ReferenceMaterial)
class ReferenceMaterialAdmin(AuditedAdmin):
    list_display = ("performer", "title", "year", "performer_age", "rights_basis")
    readonly_fields = ("sha256",)
