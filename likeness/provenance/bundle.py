"""Evidence bundles: one zip per released output that an auditor checks offline, with the platform's published
checker (`python -m likeness.provenance.bundle_check`, or `manage.py verify_bundle`) or with public tools
alone (`sha256sum`, `openssl`, `jq`: docs/provenance.md). The bundle carries no checker of its own: a checker
taken from inside what it checks proves nothing.

Contents (all sealed, see bundle_check.py for the checks):
    output.<ext>         the signed file (or only its hash in record.json when larger than EMBED_MAX_BYTES)
    manifest.json        the output's C2PA manifest store as read at export
    validation.json      the verification report at export (state, codes with explanations, chain summary)
    record.json          the output record, the release and render decisions, the grant snapshot (no
                         compensation terms), the signing certificate, the source plate's SHA-256
    audit_events.json    audit events about the output, its decisions and its grant, each with its chain hash
                         and an inclusion proof against the checkpoint below
    checkpoint/          the signed, timestamped audit checkpoint the proofs lead to (.json .sig .pem .tsr)
    trust_anchors.pem    the platform's root and intermediate certificates (confirm the root's fingerprint!)
    signing_chain.pem    the certificates that signed the output, as its signature carries them
    crl.pem              the CA's revocation list at export
    README.txt           what to run, and what the root fingerprint must be confirmed against
    SHA256SUMS           sha256sum-style list of the files above
    seal.png             a tiny PNG whose Content Credentials (signed by the platform) list every file's SHA-256
"""
from __future__ import annotations

import io
import json
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any, cast

import c2pa
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from likeness.audit import merkle
from likeness.audit.checkpoints import Checkpoint, checkpoint_write, checkpoints
from likeness.audit.models import AuditEvent
from likeness.common.hashing import to_jsonable
from likeness.policy.models import Decision
from likeness.provenance import bundle_check
from likeness.provenance.c2pa_context import BUNDLE_LABEL, platform_anchors, signer_for, signing_context
from likeness.provenance.models import Output, OutputStatus
from likeness.provenance.selectors import grant_summary, output_summary
from likeness.provenance.verification import verify_path
from likeness.signing import pki
from likeness.signing.tsa import timestamp_url

# Larger signed files are left out (the bundle would be unwieldy to mail or archive); their hash is recorded.
EMBED_MAX_BYTES = 512 * 1024 * 1024
DIGITAL_CREATION = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"


def _png_1px() -> bytes:
    """A minimal valid 1x1 grey PNG, made with the standard library: the carrier of the bundle's seal."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + \
        chunk(b"IEND", b"")


def _seal(files: dict[str, str], output: Output) -> bytes:
    definition = {
        "claim_generator_info": [{"name": "likeness-platform", "version": "1"}],
        "title": f"evidence bundle seal for output {output.pk}",
        "format": "image/png",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{"action": "c2pa.created",
                                                             "digitalSourceType": DIGITAL_CREATION}]}},
            {"label": BUNDLE_LABEL, "data": {"output_id": str(output.pk), "sealed_at": to_jsonable(timezone.now()),
                                             "files": dict(sorted(files.items()))}},
        ],
    }
    ident = pki.signing_identity()
    builder = c2pa.Builder.from_json(json.dumps(definition), signing_context(platform_anchors()))
    try:
        source, dest = io.BytesIO(_png_1px()), io.BytesIO()
        builder.sign(signer_for(ident, timestamp_url()), "image/png", source, dest)
    finally:
        builder.close()
    return dest.getvalue()


def _event_row(event: AuditEvent, proof: dict[str, Any] | None) -> dict[str, Any]:
    return {"seq": event.seq, "at": to_jsonable(event.at), "actor": event.actor_label, "actor_id": event.actor_id,
            "action": event.action, "object_type": event.object_type, "object_id": event.object_id,
            "data": event.data, "prev_hash": event.prev_hash, "hash": event.hash, "inclusion": proof}


def _proofs(events: list[AuditEvent]) -> tuple[Checkpoint, dict[int, dict[str, Any]]]:
    """A checkpoint of the chain now, and each event's inclusion proof against it."""
    checkpoint = checkpoint_write() or checkpoints()[-1]
    size = checkpoint.tree_size
    leaves = [merkle.leaf_hash(h, a) for h, a in AuditEvent.objects.filter(seq__lte=size).order_by("seq")
              .values_list("hash", "actor_id").iterator(chunk_size=5000)]
    if len(leaves) != size or merkle.root(leaves) != checkpoint.root:
        raise ValidationError({"audit": ["the audit chain does not match its latest checkpoint: run audit_verify"]})
    proofs = {e.seq: {"leaf_index": e.seq - 1, "tree_size": size, "checkpoint": checkpoint.path.name,
                      "proof": [h.hex() for h in merkle.inclusion_proof(leaves, e.seq - 1)]}
              for e in events if e.seq <= size}
    return checkpoint, proofs


README = """Evidence bundle for output {output}

Check it with the platform's published checker, never with a copy found in a bundle:

    python -m likeness.provenance.bundle_check THIS.zip --root-sha256 {root}

but first confirm that {root}
is the SHA-256 of the platform's root certificate from a source you trust (its /trust/anchors.pem page,
or `openssl x509 -in trust_anchors.pem -noout -fingerprint -sha256` against what the platform published).
Without that confirmation the bundle only proves it agrees with itself.

Public tools alone (sha256sum, openssl, jq): docs/provenance.md, "Checking a bundle with outside tools".
"""


def _decision_snapshot(decision: Decision | None) -> dict[str, Any] | None:
    """The decision as the gate made it, without the facts snapshot (which holds confidential terms)."""
    if decision is None:
        return None
    return cast(dict[str, Any], to_jsonable({
        "id": decision.pk, "purpose": decision.purpose, "use": decision.use, "outcome": decision.outcome,
        "explanation": decision.explanation, "lines": decision.lines, "obligations": decision.obligations,
        "regimes": decision.regimes, "rule_pack_versions": decision.rule_pack_versions, "request": decision.request,
        "inputs_sha256": decision.inputs_sha256, "grants": sorted(decision.grants.values_list("pk", flat=True)),
        "created_at": decision.created_at,
    }))


def bundle_events(output: Output) -> list[AuditEvent]:
    decisions = {str(output.decision_id)} | ({str(output.release_decision_id)} if output.release_decision_id else set())
    return list(AuditEvent.objects.filter(
        Q(object_type="provenance.output", object_id=str(output.pk))
        | Q(object_type="policy.decision", object_id__in=decisions)
        | Q(object_type="consent.consentgrant", object_id=str(output.grant_id))
        | (Q(object_type="provenance.signingcertificate", object_id=str(output.signed_by_certificate_id))
           if output.signed_by_certificate_id else Q(pk__in=[]))
    ).order_by("seq"))


def bundle_build(*, output: Output) -> bytes:
    """The evidence bundle (zip bytes) for a released output."""
    if output.status != OutputStatus.RELEASED or not output.manifest_label:
        raise ValidationError({"output": ["only a signed, released output has an evidence bundle"]})
    anchors = platform_anchors()
    ext = Path(output.file.name or "").suffix
    with tempfile.TemporaryDirectory(prefix="likeness-bundle-") as tmp:
        local = Path(tmp) / f"output{ext}"
        with output.file.open("rb") as src, open(local, "wb") as dst:
            for block in iter(lambda: src.read(4 * 1024 * 1024), b""):
                dst.write(block)
        report = verify_path(local, anchors_pem=anchors, mime=output.mime)
        embed = local.stat().st_size <= EMBED_MAX_BYTES
        cert = output.signed_by_certificate
        record = {
            "bundle_format": 2,
            "exported_at": timezone.now(),
            "output": {**output_summary(output), "mime": output.mime, "size": output.size},
            "output_file": f"output{ext}" if embed else None,
            "release_decision": _decision_snapshot(output.release_decision),
            "render_decision": _decision_snapshot(output.decision),
            "grant": grant_summary(output.grant),
            "signing_certificate": {"serial": cert.serial, "subject": cert.subject, "issuer": cert.issuer,
                                    "not_before": cert.not_before, "not_after": cert.not_after,
                                    "fingerprint_sha256": cert.fingerprint_sha256} if cert else None,
            "approval": {"by": output.approved_by.get_username() if output.approved_by else None,
                         "note": output.approval_note, "at": output.approved_at},
        }
        events = bundle_events(output)
        checkpoint, proofs = _proofs(events)
        ingredients = (report.manifests[0]["ingredients"] if report.manifests else []) or [{}]
        record["source_plate_sha256"] = ingredients[0].get("sha256")
        root_sha256 = bundle_check.root_fingerprint(anchors.encode())
        files: dict[str, bytes] = {
            "manifest.json": json.dumps(report.manifest_store, indent=1, sort_keys=True).encode(),
            "validation.json": json.dumps(to_jsonable(report.as_dict()), indent=1, sort_keys=True).encode(),
            "record.json": json.dumps(to_jsonable(record), indent=1, sort_keys=True).encode(),
            "audit_events.json": json.dumps([_event_row(e, proofs.get(e.seq)) for e in events], indent=1,
                                            ensure_ascii=False).encode("utf-8"),
            "trust_anchors.pem": anchors.encode(),
            "signing_chain.pem": "".join(report.signing_chain_pem).encode(),
            "crl.pem": pki.crl_pem(),
            "README.txt": README.format(output=output.pk, root=root_sha256).encode(),
        }
        for suffix in (".json", ".sig", ".pem", ".tsr"):
            files[f"checkpoint/{checkpoint.sibling(suffix).name}"] = checkpoint.sibling(suffix).read_bytes()
        digests = {name: bundle_check._sha256(data) for name, data in files.items()}
        if embed:
            digests[f"output{ext}"] = _sha256_path(local)
        sums = "".join(f"{digests[name]}  {name}\n" for name in sorted(digests)).encode()
        files["SHA256SUMS"] = sums
        digests["SHA256SUMS"] = bundle_check._sha256(sums)
        seal = _seal(digests, output)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
            if embed:
                # Media is already compressed: store it as is.
                zf.write(local, f"output{ext}", compress_type=zipfile.ZIP_STORED)
            zf.writestr(bundle_check.SEAL, seal, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def _sha256_path(path: Path) -> str:
    from likeness.provenance.signing import sha256_file

    return sha256_file(path)

