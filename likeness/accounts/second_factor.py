"""The second factor for acts that bind a performer: approving a grant, revoking one, approving an output.

A person proves it with a 6-digit TOTP code from an authenticator app (django-otp checks the code, refuses a
code used before and slows down repeated failures). A correct code counts for SECOND_FACTOR_MAX_AGE_SECONDS:
on the pages it is remembered in the session, so a rep approving a batch of outputs types one code; API clients
send `otp_code` with each binding request. Services call `require` with the acting user, so no edge can
forget it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

SESSION_KEY = "likeness.second_factor"
ATTRIBUTE = "second_factor_at"


class SecondFactorRequired(PermissionDenied):
    """The act needs a fresh second factor. `enrolled` says whether the person has an authenticator yet."""

    def __init__(self, message: str, *, enrolled: bool) -> None:
        super().__init__(message)
        self.enrolled = enrolled


def confirmed_device(user: Any) -> TOTPDevice | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def max_age() -> dt.timedelta:
    return dt.timedelta(seconds=settings.SECOND_FACTOR_MAX_AGE_SECONDS)


def is_fresh(user: Any) -> bool:
    at = getattr(user, ATTRIBUTE, None)
    return at is not None and timezone.now() - at <= max_age()


def code_problem(user: Any, code: str | None) -> str | None:
    """Check a code against the person's authenticator. None means it verified, and the second factor is now
    fresh on `user`; otherwise what is wrong, in words for the person."""
    device = confirmed_device(user)
    if device is None:
        return "you have no authenticator yet: set one up on your Security page"
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == device.digits):
        return f"type the {device.digits} digits your authenticator app shows"
    # django-otp doubles the wait after each wrong code (1, 2, 4 ... s) and refuses a code already used.
    allowed, why = device.verify_is_allowed()
    if not allowed:
        until = (why or {}).get("locked_until")
        wait = max(1, round((until - timezone.now()).total_seconds())) if until else 1
        return f"too many wrong codes: wait {wait} s, then type the current code"
    if not device.verify_token(code):
        return "the code does not match your authenticator (or was used already): type the one it shows now"
    setattr(user, ATTRIBUTE, timezone.now())
    return None


def verify_code(user: Any, code: str | None) -> bool:
    return code_problem(user, code) is None


def remember(request: HttpRequest) -> None:
    """After verify_code on request.user: keep the proof in the session for the rest of the window."""
    at = getattr(request.user, ATTRIBUTE, None)
    device = confirmed_device(request.user)
    if at is not None and device is not None:
        request.session[SESSION_KEY] = {"device": device.pk, "at": at.isoformat()}


def forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def require(user: Any, act: str) -> None:
    """Refuse `act` unless the user proved a second factor within the window."""
    if is_fresh(user):
        return
    if confirmed_device(user) is None:
        raise SecondFactorRequired(f"{act} binds the performer and needs a second factor: set up an authenticator "
                                   "on your Security page first", enrolled=False)
    raise SecondFactorRequired(f"{act} binds the performer: confirm it with the 6-digit code from your "
                               "authenticator app", enrolled=True)


class SecondFactorMiddleware:
    """Carries a proof kept in the session over to request.user (after AuthenticationMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        proof = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if proof:
            self._apply(request, proof)
        return self.get_response(request)

    @staticmethod
    def _apply(request: HttpRequest, proof: dict[str, Any]) -> None:
        try:
            at = dt.datetime.fromisoformat(proof["at"])
            device_pk = int(proof["device"])
        except (KeyError, TypeError, ValueError):
            forget(request)
            return
        user = request.user
        # The proof dies with the window, and with the device (an authenticator removed or replaced).
        if (not user.is_authenticated or timezone.now() - at > max_age()
                or not TOTPDevice.objects.filter(pk=device_pk, user=user, confirmed=True).exists()):
            forget(request)
            return
        setattr(user, ATTRIBUTE, at)
