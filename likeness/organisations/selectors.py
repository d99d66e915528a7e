"""Reads about organisations: their members, and finding the account a person names."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from likeness.organisations.models import Membership, Organisation


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    """Every membership of the organisation, grouped by person."""
    return Membership.objects.filter(organisation=organisation).select_related("user") \
        .order_by("user__username", "role")


def account_named(identifier: str) -> User | None:
    """The active account whose username or email is `identifier` (case-insensitive); None when there is none,
    or when an email is shared by several accounts (the admin then gives the username)."""
    text = identifier.strip()
    if not text:
        return None
    users = User.objects.filter(is_active=True)
    by_name = users.filter(username__iexact=text).first()
    if by_name is not None:
        return by_name
    by_email = list(users.filter(email__iexact=text)[:2])
    return by_email[0] if len(by_email) == 1 else None
