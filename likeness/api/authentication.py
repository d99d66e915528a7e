"""API token authentication: django-rest-knox tokens (digest stored, expiry enforced, expired ones deleted),
noting when each was last used so its owner can tell a forgotten token from a live one."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ExpiringTokenAuthentication(TokenAuthentication):
    def validate_user(self, auth_token: Any) -> tuple[Any, Any]:
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        # One write a minute at most, not one per request.
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """How the schema (and the API docs' Authorize button) describe token sign-in."""

    target_class = ExpiringTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Token-based authentication: `Token <secret>` from POST /api/v1/auth/token/ "
                               "(each token expires; list and revoke yours at /api/v1/auth/tokens/)"}
