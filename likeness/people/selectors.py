"""Which performers a user may see and manage."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from likeness.consent.models import ConsentGrant
from likeness.organisations.models import CONSENT_ROLES, VFX_ROLES, Role
from likeness.organisations.selectors import user_org_ids, user_roles
from likeness.people.models import Performer, Representation


def performers_managed_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Performer]:
    """Performers represented by an organisation in which the user is a talent rep or legal."""
    orgs = user_org_ids(user, CONSENT_ROLES)
    return Performer.objects.filter(
        pk__in=Representation.objects.filter(organisation_id__in=orgs).values("performer_id"))


def user_manages_performer(user: AbstractBaseUser | AnonymousUser, performer: Performer) -> bool:
    return performers_managed_by(user).filter(pk=performer.pk).exists()


def performers_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Performer]:
    roles = user_roles(user)
    if Role.AUDITOR in roles:
        return Performer.objects.all()
    managed = Q(pk__in=performers_managed_by(user).values("pk"))
    studio_orgs = user_org_ids(user, VFX_ROLES | {Role.LEGAL, Role.ADMIN})
    # Studio staff see performers with a grant (in any version) that names one of their productions.
    studio = Q(pk__in=ConsentGrant.objects.filter(productions__studio_id__in=studio_orgs).values("performer_id"))
    return Performer.objects.filter(managed | studio)
