"""The proofs one audit checkpoint carries, checked from its four files' bytes alone.

Shared by the platform (`checkpoints.py`, which reads the files from the checkpoint folder) and the offline
bundle checker (`likeness.provenance.bundle_check`, which reads them from a bundle), so that both apply the
same test. Needs no Django and no database: the bundle checker runs where neither is configured.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FORMAT = "likeness-audit-checkpoint/1"


class CheckpointError(Exception):
    pass


def proofs_check(name: str, raw: bytes, *, chain_pem: bytes, signature: bytes, token: bytes,
                 issuer: x509.Certificate | None) -> dict[str, Any]:
    """Check checkpoint `name` (its signed bytes `raw`): its format, its ECDSA signature by the first certificate
    of `chain_pem` (the one the checkpoint names, issued by `issuer` when it is given) and its RFC 3161 timestamp
    `token` (over exactly `raw`). Returns the checkpoint's body with the timestamp's time and authority added.
    Raises CheckpointError with a message that starts with `name` and says what fails."""
    from likeness.signing.tsa import TsaError, token_info

    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{name}: is not JSON ({exc})") from exc
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise CheckpointError(f"{name}: unknown format {body.get('format') if isinstance(body, dict) else body!r}")
    try:
        signer = x509.load_pem_x509_certificates(chain_pem)[0]
    except (ValueError, IndexError) as exc:
        raise CheckpointError(f"{name}: its certificate file is unreadable ({exc})") from exc
    if signer.fingerprint(hashes.SHA256()).hex() != body.get("signer_certificate_sha256"):
        raise CheckpointError(f"{name}: signed by another certificate than the one it names")
    if issuer is not None:
        try:
            signer.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise CheckpointError(f"{name}: its signing certificate was not issued by the platform's CA") from exc
    public_key = signer.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise CheckpointError(f"{name}: the signing key is not an EC key")
    try:
        public_key.verify(signature, raw, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise CheckpointError(f"{name}: the signature does not match its content: the checkpoint was changed") \
            from exc
    try:
        info = token_info(token)
    except TsaError as exc:
        raise CheckpointError(f"{name}: its timestamp is invalid ({exc})") from exc
    if info["imprint"] != hashlib.sha256(raw).digest():
        raise CheckpointError(f"{name}: its timestamp dates other content")
    return {**body, "timestamp": info["time"].isoformat(), "timestamp_authority": info["tsa"]}
