"""c2pa-python objects for this process: contexts for reading and signing, and signers.

c2pa objects wrap native handles that do not survive fork(), so they are built lazily and cached per
process id: a Celery worker (prefork) builds its own after it starts, never inheriting the parent's.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, cast

import c2pa

from likeness.signing import pki

# Labels of the platform's own assertions, written as "created" assertions of the claim: the specification
# attributes created assertions to the signer and gathered ones to no one, and the AI marking (the actions
# assertion's digitalSourceType, which the EU AI Act's machine-readable marking rests on) must be ours.
ACTIONS_LABEL = "c2pa.actions"
CONSENT_LABEL = "org.likeness-platform.consent"
MODEL_LABEL = "org.likeness-platform.model"
BUNDLE_LABEL = "org.likeness-platform.bundle"
TRAINING_MINING_LABEL = "cawg.training-mining"
SOFT_BINDING_LABEL = "c2pa.soft-binding"
# Not an algorithm from the C2PA soft-binding algorithm list: the platform's own (fingerprint.py), so its name is
# in the platform's reverse-domain namespace, with the fingerprint's version.
SOFT_BINDING_ALG = "org.likeness-platform.phash-dct64.p1"
CREATED_LABELS = [ACTIONS_LABEL, CONSENT_LABEL, MODEL_LABEL, BUNDLE_LABEL, TRAINING_MINING_LABEL,
                  SOFT_BINDING_LABEL]
# Above this size the SDK spills the signed asset to a temporary file instead of holding it in memory: it keeps
# peak memory while signing near 1x the file instead of 2x (see bench/provenance.py).
BACKING_STORE_THRESHOLD_MB = 8

_lock = threading.Lock()
_cache: dict[tuple[Any, ...], Any] = {}


def _per_process(key: tuple[Any, ...], build: Any) -> Any:
    full = (os.getpid(), *key)
    with _lock:
        if full not in _cache:
            # Drop objects inherited from a parent process: they must not be used (nor freed) after fork.
            for stale in [k for k in _cache if k[0] != os.getpid()]:
                _cache.pop(stale, None)
            _cache[full] = build()
        return _cache[full]


def reading_settings(anchors_pem: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "verify": {"verify_trust": True, "remote_manifest_fetch": False, "ocsp_fetch": False},
        "core": {"backing_store_memory_threshold_in_mb": BACKING_STORE_THRESHOLD_MB},
    }
    if anchors_pem:
        settings["trust"] = {"user_anchors": anchors_pem}
    return settings


def signing_settings(anchors_pem: str | None) -> dict[str, Any]:
    settings = reading_settings(anchors_pem)
    settings["builder"] = {
        "thumbnail": {"enabled": False},
        "created_assertion_labels": CREATED_LABELS,
        "claim_generator_info": {"name": "likeness-platform", "version": "1"},
    }
    settings["verify"]["verify_after_sign"] = True
    return settings


def reading_context(anchors_pem: str | None) -> c2pa.Context:
    """A context that trusts exactly `anchors_pem` (no anchors: nothing is Trusted, only Valid)."""
    return _per_process(("read", anchors_pem), lambda: c2pa.Context.from_dict(reading_settings(anchors_pem)))


def platform_anchors(base: Path | None = None) -> str:
    return pki.trust_anchors_pem(base).decode()


def signing_context(anchors_pem: str) -> c2pa.Context:
    return _per_process(("sign", anchors_pem), lambda: c2pa.Context.from_dict(signing_settings(anchors_pem)))


def signer_for(ident: pki.SigningIdentity, tsa_url: str) -> c2pa.Signer:
    """A signer whose every signature carries an RFC 3161 timestamp from `tsa_url` (tsa.timestamp_url)."""
    if not tsa_url:
        raise ValueError("signing needs a timestamp authority URL")

    def build() -> c2pa.Signer:
        info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, ident.chain_pem(), ident.key_pem(), tsa_url)
        return c2pa.Signer.from_info(info)

    return _per_process(("signer", str(ident.chain_path), tsa_url), build)


def manifest_store(reader: c2pa.Reader) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(reader.json()))
