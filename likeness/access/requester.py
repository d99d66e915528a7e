"""The signed-in user behind a request, for the edges that pass it to services as `by`.

Every page and API view that acts is behind a sign-in check (`login_required`, DRF's IsAuthenticated), so an
anonymous user here is a wiring mistake: it is refused as a permission error rather than passed on to a
service that would record it as the actor.
"""
from __future__ import annotations

from typing import Protocol

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied


class _HasUser(Protocol):
    @property
    def user(self) -> AbstractBaseUser | AnonymousUser: ...


def signed_in(request: _HasUser) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("sign in first")
    return user
