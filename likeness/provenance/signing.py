"""Signing an output with C2PA Content Credentials: what was done, by which model, under which consent.

`sign_output` is what the jobs app calls (in the worker, after the gate allowed release). It needs no database:
everything the manifest says travels in an `OutputClaim`.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import c2pa

from likeness.common.hashing import to_jsonable
from likeness.provenance.c2pa_context import (
    CONSENT_LABEL,
    MODEL_LABEL,
    SOFT_BINDING_ALG,
    SOFT_BINDING_LABEL,
    TRAINING_MINING_LABEL,
    signer_for,
    signing_context,
)
from likeness.provenance.png import PNGError, png_merge_idat
from likeness.signing import pki
from likeness.signing.tsa import timestamp_url

AI_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
SUPPORTED_MIMES = frozenset({"video/mp4", "image/png", "image/jpeg"})
PLATFORM_NAME = "likeness-platform"


class SigningError(Exception):
    pass


@dataclass(frozen=True)
class OutputClaim:
    """Everything an output's manifest states. No legal names: the performer appears by its public id."""

    decision_id: str
    grant_id: str
    grant_version: int
    grant_document_sha256: str
    rule_pack_versions: dict[str, str]
    obligations: tuple[str, ...]
    performer_public_id: str
    production_id: str
    model_id: str
    weights_sha256: str
    dataset_manifest_sha256: str
    reference_titles: tuple[str, ...]
    engine_name: str
    engine_version: str
    parameters: dict[str, Any]
    source_plate: Path
    source_plate_mime: str
    use: str = "de_aging"
    output_id: str = ""
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""  # fingerprint.encode() of the content: the soft binding


@dataclass(frozen=True)
class SignedFile:
    path: Path
    sha256: str
    size: int
    mime: str
    manifest_label: str
    certificate_serial: str
    certificate_fingerprint: str
    source_sha256: str = ""  # of the source plate, as the parent ingredient names it


def consent_assertion(claim: OutputClaim) -> dict[str, Any]:
    return {
        "decision_id": claim.decision_id,
        "grant_id": claim.grant_id,
        "grant_version": claim.grant_version,
        "grant_document_sha256": claim.grant_document_sha256,
        "rule_pack_versions": dict(sorted(claim.rule_pack_versions.items())),
        "obligations": list(claim.obligations),
        "performer": claim.performer_public_id,
        "production_id": claim.production_id,
        "use": claim.use,
        "output_id": claim.output_id,
        **to_jsonable(claim.extra),
    }


def model_assertion(claim: OutputClaim) -> dict[str, Any]:
    return {
        "model_id": claim.model_id,
        "weights_sha256": claim.weights_sha256,
        "dataset_manifest_sha256": claim.dataset_manifest_sha256,
        "reference_titles": list(claim.reference_titles),
        "engine": {"name": claim.engine_name, "version": claim.engine_version},
    }


def manifest_definition(*, claim: OutputClaim, mime: str, title: str) -> dict[str, Any]:
    agent = {"name": claim.engine_name, "version": claim.engine_version}
    return {
        "claim_generator_info": [{"name": PLATFORM_NAME, "version": "1"}],
        "title": title,
        "format": mime,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        # set_intent(EDIT) adds c2pa.opened for the parent; this is what the engine did to it.
                        {
                            "action": "c2pa.edited",
                            "digitalSourceType": AI_SOURCE_TYPE,
                            "softwareAgent": agent,
                            "description": f"{claim.use.replace('_', '-')} of the performer by a model trained "
                                           "on their consented reference footage",
                            "parameters": to_jsonable(dict(sorted(claim.parameters.items()))),
                        }
                    ]
                },
            },
            {
                # CAWG training-and-data-mining: this likeness must not feed any other model.
                "label": TRAINING_MINING_LABEL,
                "data": {
                    "entries": {
                        "cawg.ai_inference": {"use": "notAllowed"},
                        "cawg.ai_generative_training": {"use": "notAllowed"},
                        "cawg.ai_training": {"use": "notAllowed"},
                        "cawg.data_mining": {"use": "notAllowed"},
                    }
                },
            },
            {"label": CONSENT_LABEL, "data": consent_assertion(claim)},
            {"label": MODEL_LABEL, "data": model_assertion(claim)},
            *([soft_binding_assertion(claim.fingerprint)] if claim.fingerprint else []),
        ],
    }


def soft_binding_assertion(fingerprint: str) -> dict[str, Any]:
    """C2PA soft binding (section 18.9): the content fingerprint the output registry stores, so that a copy whose
    manifest was stripped, or that was re-encoded, can be looked up by its pictures (`/api/v1/provenance/registry/`
    with the file). The algorithm is the platform's own (fingerprint.py), named in its reverse-domain form."""
    return {"label": SOFT_BINDING_LABEL, "data": {
        "alg": SOFT_BINDING_ALG, "blocks": [{"scope": {}, "value": fingerprint}],
        "name": "DCT perceptual hash (64 bits) of frames sampled at fixed fractions of the duration"}}


PLATE_SHA256_KEY = "org.likeness-platform.sha256"


def sha256_file(path: Path, chunk: int = 4 * 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def sign_output(*, src: Path, dst: Path, mime: str, claim: OutputClaim, pki_base: Path | None = None,
                tsa_url: str | None = None, identity: pki.SigningIdentity | None = None) -> SignedFile:
    """Sign `src` into a new file `dst` with the platform's active signing certificate.

    `dst` must not exist. On any failure (including the SDK's own check after signing) `dst` is removed, so a
    failed signing leaves no file that could be mistaken for a released output.
    """
    src, dst = Path(src), Path(dst)
    if mime not in SUPPORTED_MIMES:
        raise SigningError(f"cannot sign {mime}: supported are {', '.join(sorted(SUPPORTED_MIMES))}")
    if dst.exists():
        raise SigningError(f"{dst} already exists; signing never overwrites a file")
    if not claim.source_plate.exists():
        raise SigningError(f"source plate {claim.source_plate} not found")
    # Every signature is timestamped: by the authority given, the configured one, else the platform's own.
    tsa_url = tsa_url or timestamp_url(pki_base)
    ident = identity or pki.signing_identity(base=pki_base)
    anchors = pki.trust_anchors_pem(pki_base).decode()
    cert = ident.certificate()
    definition = manifest_definition(claim=claim, mime=mime, title=claim.title or dst.name)
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        builder = c2pa.Builder.from_json(json.dumps(definition), signing_context(anchors))
        try:
            builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
            # The plate's SHA-256 travels in the (signed) ingredient assertion: the output names the exact
            # footage it was made from, which an auditor can hash and compare.
            plate_sha256 = sha256_file(claim.source_plate)
            parent = {"title": claim.source_plate.name, "relationship": "parentOf",
                      "metadata": {PLATE_SHA256_KEY: plate_sha256}}
            with open(claim.source_plate, "rb") as plate:
                builder.add_ingredient(json.dumps(parent), claim.source_plate_mime, plate)
            # PNG: sign a copy whose image data is one IDAT chunk (lossless; see png.py) so that signing and
            # every later verification walk a few chunks, not thousands.
            signed_from = src
            if mime == "image/png" and png_merge_idat(src, merged := dst.with_name(dst.name + ".idat.tmp")):
                signed_from = merged
            # "x+b": the SDK reads back what it wrote to verify it; O_EXCL so nothing is overwritten.
            with open(signed_from, "rb") as source, open(dst, "x+b") as target:
                manifest_bytes = builder.sign(signer_for(ident, tsa_url), mime, source, target)
        finally:
            builder.close()
        # The SDK already re-read and validated dst (verify_after_sign); take the label from the manifest store
        # it returned instead of reading the whole file a second time.
        label = _label_from_store(manifest_bytes) or _active_label(dst, mime, anchors)
        del manifest_bytes
        size = dst.stat().st_size
        digest = sha256_file(dst)
    except BaseException as exc:
        _remove(dst)
        if isinstance(exc, PNGError):
            raise SigningError(f"cannot sign {src.name}: {exc}") from exc
        if isinstance(exc, c2pa.C2paError):
            raise SigningError(f"signing failed: {exc}") from exc
        raise
    finally:
        _remove(dst.with_name(dst.name + ".idat.tmp"))
    return SignedFile(path=dst, sha256=digest, size=size, mime=mime, manifest_label=label,
                      certificate_serial=ident.serial, certificate_fingerprint=pki.fingerprint(cert),
                      source_sha256=plate_sha256)


def _active_label(path: Path, mime: str, anchors: str) -> str:
    from likeness.provenance.c2pa_context import reading_context

    with open(path, "rb") as fh, c2pa.Reader(mime, fh, context=reading_context(anchors)) as reader:
        store = json.loads(reader.json())
    label = store.get("active_manifest")
    if not label:
        raise SigningError("the signed file has no active manifest")
    return str(label)


_LABEL = re.compile(rb"urn:c2pa:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _label_from_store(manifest_bytes: bytes | None) -> str:
    """The active manifest is the last one in the store (ingredients' manifests come first)."""
    labels = _LABEL.findall(manifest_bytes or b"")
    return labels[-1].decode() if labels else ""


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def claim_as_dict(claim: OutputClaim) -> dict[str, Any]:
    data = asdict(claim)
    data["source_plate"] = str(claim.source_plate)
    return data
