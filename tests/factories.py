"""Builders for tests: pure gate facts with sensible defaults, and database records made through services."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Any

from likeness.common import vocabulary as vocab
from likeness.policy.facts import GateFacts, GateRequest, GrantFacts, PerformerFacts, ProductionFacts

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
SPECIFIC = ("De-age the performer's on-set performance in the production to depicted ages in range for the "
            "flashback scenes of reels two and five, using a model trained on their earlier films.")


def performer(**kw: Any) -> PerformerFacts:
    base = dict(id="p1", name="Avery Quinn", date_of_birth=dt.date(1961, 4, 12), domicile="US-CA")
    return PerformerFacts(**{**base, **kw})


def production(**kw: Any) -> ProductionFacts:
    base = dict(id="prod1", title="Here and Then", agreement=vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026,
                jurisdictions=("US-CA",), release_territories=("US",), release_media=("theatrical",))
    return ProductionFacts(**{**base, **kw})


def grant(**kw: Any) -> GrantFacts:
    base = dict(
        id="g1", version=1, status="active", performer_id="p1", family="fam1",
        uses=("training", "de_aging", "aging_up", "realtime_preview", "digital_replica"),
        productions=("prod1",), production_titles=("Here and Then",), depicted_age_min=25, depicted_age_max=45,
        media=("theatrical", "streaming", "advertising", "on_set_monitor"), territories=("WORLD",),
        term_start=dt.date(2026, 1, 1), term_end=dt.date(2028, 12, 31),
        replica_types=("ebdr", "icdr", "digital_alteration"), use_description=SPECIFIC,
        description_given_at=NOW - dt.timedelta(days=10), represented_by_counsel=True,
        union_agreement_covers_replicas=True, separately_signed=True, notice_given_at=NOW - dt.timedelta(days=10),
        biometric_consent_explicit=True, compensation_terms="scale plus 40%", document_sha256="a" * 64,
        signed_on=dt.date(2026, 1, 1),
    )
    return GrantFacts(**{**base, **kw})


def request(**kw: Any) -> GateRequest:
    base = dict(performer_id="p1", production_id="prod1", use="de_aging", at=NOW, depicted_age=30,
                media=("theatrical",), territories=("US",), replica_types=("digital_alteration",))
    return GateRequest(**{**base, **kw})


def facts(*grants: GrantFacts, **kw: Any) -> GateFacts:
    return GateFacts(performer=kw.pop("performer", performer()), production=kw.pop("production", production()),
                     grants=grants if grants else (grant(),), **kw)


def replace(obj: Any, **kw: Any) -> Any:
    return dataclasses.replace(obj, **kw)


def pdf_bytes() -> bytes:
    from likeness.demo.pdf import contract_pdf

    return contract_pdf("test contract")


def pdf_file() -> io.BytesIO:
    return io.BytesIO(pdf_bytes())


def totp_code(hex_key: str, *, at: dt.datetime | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (HMAC-SHA1, RFC 4226 truncation), written from the RFCs and independent of django-otp: what an
    authenticator app would show for this key now, or at `at`."""
    import hashlib
    import hmac
    import struct
    import time

    counter = int((at.timestamp() if at else time.time()) // step)
    mac = hmac.new(bytes.fromhex(hex_key), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10 ** digits:0{digits}d}"


def give_authenticator(user: Any) -> Any:
    """A confirmed authenticator for `user`, and a second factor proved with it now (as at sign-in)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from likeness.accounts import second_factor

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    assert second_factor.verify_code(user, totp_code(device.key)), "a fresh RFC 6238 code must verify"
    return device


def fresh_code(user: Any) -> str:
    """A code the user's authenticator accepts now: the current step's, or the next one's when this step was
    used already (authenticators accept one step of drift, and no step twice)."""
    import time

    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).latest("pk")
    step = max(int(time.time() // device.step), device.last_t + 1)
    return totp_code(device.key, at=dt.datetime.fromtimestamp(step * device.step, tz=dt.UTC))
