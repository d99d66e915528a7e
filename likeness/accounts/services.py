"""Account changes: API tokens and the authenticator. Each is recorded in the audit chain against the user."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from likeness.accounts import second_factor
from likeness.accounts.models import ApiToken
from likeness.audit.services import audit_record


def _record(user: Any, action: str, data: dict[str, Any]) -> None:
    audit_record(actor=user, action=action, object_type="auth.user", object_id=str(user.pk), data=data)


def _ttl(days: int | None) -> dt.timedelta:
    longest = settings.API_TOKEN_MAX_DAYS
    if days is None:
        return dt.timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)
    if not 1 <= days <= longest:
        raise ValidationError({"expires_in_days": [f"a token lasts between 1 and {longest} days; {days} asked"]})
    return dt.timedelta(days=days)


@transaction.atomic
def api_token_create(*, user: Any, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; the secret is returned once and only its digest is kept."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["name the token after what will use it (e.g. 'render farm')"]})
    if len(name) > 100:
        raise ValidationError({"name": ["at most 100 characters"]})
    live = ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).count()
    if live >= settings.API_TOKENS_PER_USER:
        raise ValidationError({"name": [f"you already hold {live} live tokens (the most allowed); revoke one first"]})
    token, secret = ApiToken.objects.create(user=user, expiry=_ttl(expires_in_days), name=name)
    _record(user, "account.token_created", {"token": token.token_key, "name": name, "expires": token.expiry})
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: Any) -> None:
    if token.user_id != by.pk:
        raise PermissionDenied("you can revoke only your own tokens")
    _record(by, "account.token_revoked", {"token": token.token_key, "name": token.name})
    token.delete()


@transaction.atomic
def authenticator_begin(*, user: Any) -> TOTPDevice:
    """Start setting up an authenticator: a new secret, unconfirmed until the person types a code from it.
    Replacing a confirmed one needs a fresh code from it, so a stolen session cannot swap in its own."""
    if second_factor.confirmed_device(user) is not None:
        second_factor.require(user, "replacing your authenticator")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def authenticator_confirm(*, user: Any, code: str) -> TOTPDevice:
    """The first correct code confirms the new authenticator and replaces any earlier one."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise ValidationError({"code": ["start setting up an authenticator first"]})
    if not device.verify_token((code or "").strip().replace(" ", "")):
        raise ValidationError({"code": ["that code does not match: check the app shows this account and the "
                                        "device clock is right, then try the current code"]})
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    setattr(user, second_factor.ATTRIBUTE, timezone.now())
    _record(user, "account.authenticator_set", {"device": device.pk})
    return device


@transaction.atomic
def authenticator_remove(*, user: Any) -> None:
    """Remove the authenticator (needs a fresh second factor, so a stolen session cannot swap it)."""
    second_factor.require(user, "removing your authenticator")
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    if deleted:
        _record(user, "account.authenticator_removed", {})


@transaction.atomic
def password_changed(*, user: Any) -> int:
    """After a password change: API tokens issued under the old password stop working (the sessions already
    did, as Django ties them to the password). Returns how many tokens were revoked."""
    revoked, _ = ApiToken.objects.filter(user=user).delete()
    _record(user, "account.password_changed", {"tokens_revoked": revoked})
    return revoked
