"""A user's reach: the organisations they act for, by role, and the audit engagements in force for them."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from likeness.organisations.models import CONSENT_ROLES, VFX_ROLES, AuditEngagement, Membership, Role

User = AbstractBaseUser | AnonymousUser

# Roles through which a user acts for a studio's productions.
STUDIO_ROLES = frozenset({Role.VFX_ARTIST, Role.VFX_SUPERVISOR, Role.LEGAL, Role.ADMIN})
# Roles that see a studio's contracts and compensation (never VFX staff as such).
STUDIO_CONFIDENTIAL_ROLES = frozenset({Role.LEGAL, Role.ADMIN})
# Every role but the auditor's can write something; the auditor role never adds a write right.
ACTING_ROLES = frozenset(r for r in Role if r != Role.AUDITOR)


@dataclass(frozen=True)
class Reach:
    authenticated: bool
    operator: bool
    user_id: int | None
    # role -> ids of the organisations where the user holds it
    orgs_by_role: dict[str, frozenset[int]] = field(default_factory=dict)
    engagement_ids: frozenset[int] = frozenset()

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r for r, orgs in self.orgs_by_role.items() if orgs)

    def orgs(self, roles: Iterable[str] | None = None) -> frozenset[int]:
        wanted = self.orgs_by_role.keys() if roles is None else roles
        out: set[int] = set()
        for role in wanted:
            out |= self.orgs_by_role.get(role, frozenset())
        return frozenset(out)

    @property
    def consent_orgs(self) -> frozenset[int]:
        return self.orgs(CONSENT_ROLES)

    @property
    def studio_orgs(self) -> frozenset[int]:
        return self.orgs(STUDIO_ROLES)

    @property
    def vfx_orgs(self) -> frozenset[int]:
        return self.orgs(VFX_ROLES)

    @property
    def acts(self) -> bool:
        """Holds a role that can write anything (an auditor-only account is read-only)."""
        return bool(self.roles & ACTING_ROLES)


ANONYMOUS = Reach(authenticated=False, operator=False, user_id=None)


def engagements_in_force(audit_firm_ids: Iterable[int], day: dt.date | None = None):  # a QuerySet
    day = day or timezone.now().date()
    return AuditEngagement.objects.filter(audit_firm_id__in=list(audit_firm_ids), revoked_at__isnull=True,
                                          starts_on__lte=day, ends_on__gte=day)


def reach_of(user: User | None) -> Reach:
    """Read from the database each time: a membership or engagement granted or revoked counts at once."""
    if user is None or not user.is_authenticated or not getattr(user, "is_active", True):
        return ANONYMOUS
    by_role: dict[str, set[int]] = {}
    for role, org in Membership.objects.filter(user_id=user.pk).values_list("role", "organisation_id"):
        by_role.setdefault(role, set()).add(org)
    auditor_orgs = by_role.get(Role.AUDITOR, set())
    engagements = frozenset(engagements_in_force(auditor_orgs).values_list("pk", flat=True)) if auditor_orgs \
        else frozenset()
    return Reach(authenticated=True, operator=bool(getattr(user, "is_superuser", False)), user_id=user.pk,
                 orgs_by_role={r: frozenset(o) for r, o in by_role.items()}, engagement_ids=engagements)
