"""Who may act for which organisation: the basis of every object-level permission."""
from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from likeness.organisations.models import Membership, Role


def user_roles(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(user=user).values_list("role", flat=True))


def user_org_ids(user: AbstractBaseUser | AnonymousUser, roles: Iterable[str] | None = None) -> set[int]:
    if not user.is_authenticated:
        return set()
    qs = Membership.objects.filter(user=user)
    if roles is not None:
        qs = qs.filter(role__in=list(roles))
    return set(qs.values_list("organisation_id", flat=True))


def user_is_auditor(user: AbstractBaseUser | AnonymousUser) -> bool:
    return Role.AUDITOR in user_roles(user)
