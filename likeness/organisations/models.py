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


# What each kind of organisation may hand out. The auditor role exists only inside an audit firm, and by
# itself reaches nothing: an auditor reads what an AuditEngagement in force covers.
ASSIGNABLE_ROLES: dict[str, frozenset[str]] = {
    OrganisationKind.AUDIT_FIRM: frozenset({Role.AUDITOR, Role.ADMIN}),
}
DEFAULT_ASSIGNABLE_ROLES = frozenset(r for r in Role if r != Role.AUDITOR)


def assignable_roles(kind: str) -> frozenset[str]:
    return ASSIGNABLE_ROLES.get(kind, DEFAULT_ASSIGNABLE_ROLES)


class AuditEngagement(models.Model):
    """An audit firm's licence to read: which organisations and performers, which period of records, and for
    how long. Granted by an operator, or by an admin of the audited organisation for that organisation only."""

    audit_firm = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="engagements_held")
    organisations = models.ManyToManyField(Organisation, blank=True, related_name="audit_engagements",
                                           help_text="Audited organisations: their productions, performers they "
                                                     "represent, and their memberships")
    performers = models.ManyToManyField("people.Performer", blank=True, related_name="audit_engagements",
                                        help_text="Performers audited whoever acts for them")
    # Records made in this period are covered (a grant made before it stays readable while it was in force).
    period_start = models.DateField()
    period_end = models.DateField()
    # The engagement itself is in force between these days, unless revoked.
    starts_on = models.DateField()
    ends_on = models.DateField()
    purpose = models.CharField(max_length=300)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_for = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    help_text="The audited organisation that granted it (empty: an operator)")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="engagement_period_in_order"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="engagement_term_in_order"),
        ]

    def __str__(self) -> str:
        return f"{self.audit_firm} engagement {self.pk} ({self.starts_on} - {self.ends_on})"
