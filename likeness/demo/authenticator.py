"""The demo people's authenticators. Demo accounts that bind a performer (the rep and the performer's counsel)
get a TOTP device with one published demo secret, so an evaluator can add it to any authenticator app, or read
the current code with `make demo-code WHO=<username>`. Only ever for demo data: seed_demo refuses to run
outside local runs."""
from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_otp.oath import hotp
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


def _acceptable_step(device: TOTPDevice, now: float) -> int | None:
    """The time step closest to the clock whose code the device accepts now, or None when none is.

    django-otp accepts steps within `tolerance` of the clock plus the device's drift, never one at or below the
    last step used, and then sets the drift to the step used minus the clock's. So the step nearest the clock
    keeps the drift small: a code from the demo secret in an authenticator app keeps working in the browser."""
    now_step = (int(now) - device.t0) // device.step
    low = max(device.last_t + 1, now_step + device.drift - device.tolerance)
    high = now_step + device.drift + device.tolerance
    if low > high:
        return None
    return min(max(now_step, low), high)


def current_code(device: TOTPDevice) -> str:
    """The code the app shows now, or the next acceptable one when this step's was already used."""
    step = _acceptable_step(device, time.time())
    step = device.last_t + 1 if step is None else step
    return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"


def sign_in_second_factor(user: Any) -> None:
    """The seed acting for a demo person: prove their second factor with their demo authenticator.

    django-otp accepts a code at most one step ahead of the clock and never one step twice, so a third binding
    act within one 30-second step (a demo run right after another) waits for the next step instead of failing.
    """
    name = user.get_username()
    device = second_factor.confirmed_device(user)
    if device is None:
        raise ImproperlyConfigured(f"demo account {name} has no authenticator: run `make demo-data` to give it "
                                   "the demo one")
    if device.key != DEMO_KEY:
        raise ImproperlyConfigured(f"demo account {name} uses an authenticator set up on its Security page, not the "
                                   f"demo one, so the demo cannot act as {name}: remove that authenticator, or use "
                                   "a fresh database (LIKENESS_VAR_DIR)")
    for _ in range(3):
        now = time.time()
        step = _acceptable_step(device, now)
        if step is not None and step <= (int(now) - device.t0) // device.step + 1:
            if second_factor.verify_code(user, current_code(device)):
                return
            device.refresh_from_db()
            time.sleep(1.5)  # a wrong code holds the device for a second (django-otp's throttle)
        else:
            # This step's code and the next were used already (binding acts in quick succession): wait for the
            # clock's next step rather than run ahead of it, which would stop the app's codes from matching.
            time.sleep(device.step - (now - device.t0) % device.step + 0.2)
    raise ImproperlyConfigured(f"demo account {name}'s demo authenticator did not verify (is the clock of this "
                               "machine right?)")
