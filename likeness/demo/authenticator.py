"""The demo people's authenticators. Demo accounts that bind a performer (the rep and the performer's counsel)
get a TOTP device with one published demo secret, so an evaluator can add it to any authenticator app, or read
the current code with `make demo-code WHO=<username>`. Only ever for demo data: seed_demo refuses to run
outside local runs."""
from __future__ import annotations

import base64
import hashlib
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from likeness.accounts import second_factor

DEMO_KEY = hashlib.sha1(b"likeness demo authenticator").hexdigest()  # 20 bytes, as TOTPDevice stores them
DEMO_SECRET_BASE32 = base64.b32encode(bytes.fromhex(DEMO_KEY)).decode()


def _refuse_outside_local_runs() -> None:
    if not settings.DEBUG:
        raise ImproperlyConfigured("demo authenticators exist only in local runs (DJANGO_DEBUG=1)")


def demo_device_create(user: Any) -> TOTPDevice:
    _refuse_outside_local_runs()
    return TOTPDevice.objects.create(user=user, name="demo authenticator", key=DEMO_KEY, confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The code the app shows now, or the next step's when this one was already used (django-otp accepts one
    step of drift and refuses a step twice)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = max(totp.time, (device.last_t + 1) * device.step + device.t0)
    return f"{totp.token():0{device.digits}d}"


def sign_in_second_factor(user: Any) -> None:
    """The seed acting for a demo person: prove their second factor with their demo authenticator."""
    device = second_factor.confirmed_device(user)
    if device is None or not second_factor.verify_code(user, current_code(device)):
        raise ImproperlyConfigured(f"demo account {user.get_username()} has no working demo authenticator")
