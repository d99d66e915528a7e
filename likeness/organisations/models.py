from __future__ import annotations

from django.conf import settings
from django.db import models


class OrganisationKind(models.TextChoices):
    STUDIO = "studio", "Studio / production company"
    AGENCY = "agency", "Talent agency"
    LAW_FIRM = "law_firm", "Law firm"
    UNION = "union", "Union"
    ESTATE = "estate", "Estate"
    VFX_VENDOR = "vfx_vendor", "VFX vendor"
    AUDIT_FIRM = "audit_firm", "Audit firm"


class Role(models.TextChoices):
    TALENT_REP = "talent_rep", "Talent representative"
    LEGAL = "legal", "Legal"
    VFX_ARTIST = "vfx_artist", "VFX artist"
    VFX_SUPERVISOR = "vfx_supervisor", "VFX supervisor"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Organisation admin"


# Roles that act for performers: draft, approve, amend and revoke consent.
CONSENT_ROLES = frozenset({Role.TALENT_REP, Role.LEGAL})
VFX_ROLES = frozenset({Role.VFX_ARTIST, Role.VFX_SUPERVISOR})


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"
