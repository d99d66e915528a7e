"""Check a likeness-platform evidence bundle offline: the platform's published checker.

    python -m likeness.provenance.bundle_check BUNDLE.zip --root-sha256 HEX   (or --anchors ANCHORS.pem)
    python manage.py verify_bundle BUNDLE.zip --root-sha256 HEX

Needs the platform's source (for this module, likeness.audit.merkle and .checkpoint_proof and
likeness.signing.tsa), c2pa-python, cryptography and asn1crypto; no database, no network. Bundles carry no
checker: a checker taken from inside the bundle it checks proves nothing, so run this one from the platform's
published source.

What it checks:
  1. seal.png carries Content Credentials signed by the platform; its `org.likeness-platform.bundle` assertion
     lists the SHA-256 of every other file in the bundle. Every file must match; no file may be missing or added.
  2. SHA256SUMS agrees with that sealed list.
  3. The signed output (when included) reads Trusted against the trust anchors, and its manifest, hash, signing
     certificate, source plate and consent record agree with manifest.json, signing_chain.pem and record.json;
     the CA's revocation list (crl.pem) does not revoke that certificate before the output was signed.
  4. Each audit event's hash recomputes from its content (the platform's hash-chain definition), and its
     inclusion proof leads to the root of the signed, timestamped checkpoint in checkpoint/; the output's whole
     lifecycle (registered, approved, released, each decision made) is among them.
Trust: the anchors inside the bundle prove only that the bundle agrees with itself. Give the platform's
anchors obtained independently (--anchors), or the root certificate's SHA-256 confirmed against what the
platform publishes (--root-sha256). Without either the answer is UNCONFIRMED (exit status 3), never INTACT.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any, cast

SEAL = "seal.png"
SUMS = "SHA256SUMS"
BUNDLE_LABEL = "org.likeness-platform.bundle"
ANCHORS = "trust_anchors.pem"
CHAIN = "signing_chain.pem"
CRL = "crl.pem"
PLATE_SHA256_KEY = "org.likeness-platform.sha256"
LIFECYCLE = ("output.registered", "output.approved", "output.released")
UNCONFIRMED = 3


def root_fingerprint(anchors_pem: bytes) -> str:
    """SHA-256 of the self-signed root among the anchors (what an auditor confirms out of band)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    roots = [c for c in x509.load_pem_x509_certificates(anchors_pem) if c.subject == c.issuer]
    if len(roots) != 1:
        raise ValueError(f"the anchors hold {len(roots)} root certificates, not one")
    return roots[0].fingerprint(hashes.SHA256()).hex()


class Bundle:
    """A bundle's files, from a zip or a directory, by name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            self._files: dict[str, str | Path] = {p.relative_to(path).as_posix(): p for p in sorted(path.rglob("*"))
                                                  if p.is_file()}
            self._zip: zipfile.ZipFile | None = None
        else:
            self._zip = zipfile.ZipFile(path)
            self._files = {n: n for n in self._zip.namelist() if not n.endswith("/")}

    def names(self) -> list[str]:
        return sorted(self._files)

    def read(self, name: str) -> bytes:
        if self._zip is not None:
            return self._zip.read(str(self._files[name]))
        return Path(self._files[name]).read_bytes()


def canonical_json(value: Any) -> str:
    """Same definition as the platform's likeness.common.hashing.canonical_json for JSON-native values."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: dict[str, Any]) -> str:
    """Same definition as the platform's likeness.audit.chain.event_hash."""
    body = {"seq": event["seq"], "at": event["at"], "actor": event["actor"], "action": event["action"],
            "object_type": event["object_type"], "object_id": event["object_id"], "data": event["data"],
            "prev_hash": event["prev_hash"]}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_c2pa(data: bytes, mime: str, anchors: str | None) -> dict[str, Any]:
    import c2pa

    settings: dict[str, Any] = {"verify": {"verify_trust": True, "remote_manifest_fetch": False,
                                           "ocsp_fetch": False}}
    if anchors:
        settings["trust"] = {"user_anchors": anchors}
    context = c2pa.Context.from_dict(settings)
    with c2pa.Reader(mime, io.BytesIO(data), context=context) as reader:
        return cast(dict[str, Any], json.loads(reader.json()))


def _failures(store: dict[str, Any]) -> list[str]:
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    return [f.get("code", "?") for f in results.get("failure") or []]


def _timestamp_problems(store: dict[str, Any]) -> list[str]:
    """Timestamp codes that mean the seal's timestamp is broken. A timestamp is an unsigned attribute of the
    signature, so readers drop a bad one and still read the seal as intact; the seal would then turn Invalid
    the day its certificate expires. Every platform seal is timestamped, so a missing or broken one is a change."""
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    codes = [f.get("code", "?") for kind in ("failure", "informational") for f in results.get(kind) or []]
    bad = [c for c in codes if c.startswith("timeStamp.") and c not in ("timeStamp.validated", "timeStamp.trusted")]
    if not bad and not any(f.get("code") == "timeStamp.validated" for f in results.get("success") or []):
        bad = ["no timestamp"]
    return bad


def _assertion(store: dict[str, Any], label: str) -> Any:
    manifest = (store.get("manifests") or {}).get(store.get("active_manifest") or "", {})
    for assertion in manifest.get("assertions") or []:
        if assertion.get("label") == label:
            return assertion.get("data")
    return None


def check(path: Path, anchors_path: Path | None = None,
          root_sha256: str | None = None) -> tuple[list[str], list[str]]:
    """Return (problems, notes). No problems: the bundle is intact and consistent (and, with `anchors_path` or
    a confirmed `root_sha256`, sealed by the platform whose anchors those are)."""
    problems: list[str] = []
    notes: list[str] = []
    bundle = Bundle(path)
    names = set(bundle.names())
    if SEAL not in names:
        return [f"{SEAL}: missing: the bundle has no seal, nothing in it can be checked"], notes
    anchors = anchors_path.read_text() if anchors_path else None
    if anchors is None and ANCHORS in names:
        anchors = bundle.read(ANCHORS).decode("utf-8", "replace")
        if root_sha256 is not None:
            try:
                found = root_fingerprint(anchors.encode())
            except ValueError as exc:
                return [f"{ANCHORS}: {exc}"], notes
            if found != root_sha256.strip().lower().replace(":", ""):
                return [f"{ANCHORS}: its root certificate's SHA-256 is {found}, not the {root_sha256} you "
                        "confirmed: these are not the platform's anchors"], notes
            notes.append(f"{ANCHORS}: the root is the one confirmed ({found})")
    seal_bytes = bundle.read(SEAL)
    try:
        try:
            seal = _read_c2pa(seal_bytes, "image/png", anchors)
        except Exception:  # unusable anchors: read the seal without them, trust is checked below
            seal = _read_c2pa(seal_bytes, "image/png", None)
            anchors_unusable = True
        else:
            anchors_unusable = False
    except Exception as exc:  # the seal itself cannot be read
        return [f"{SEAL}: cannot be read as signed Content Credentials ({exc}): the seal was changed"], notes
    seal_state = seal.get("validation_state")
    seal_failures = _failures(seal)
    broken = [c for c in seal_failures if c not in ("signingCredential.untrusted", "signingCredential.expired")]
    if seal_state == "Invalid" and broken:
        return [f"{SEAL}: its Content Credentials are invalid ({', '.join(broken)}): the seal was changed"], notes
    stamp = _timestamp_problems(seal)
    if stamp:
        problems.append(f"{SEAL}: its timestamp is missing or was changed ({', '.join(stamp)}): the seal was changed")
    if "signingCredential.expired" in seal_failures:
        problems.append(f"{SEAL}: the certificate that sealed the bundle has expired and the seal has no trusted "
                        "timestamp; export a fresh bundle from the platform")
    sealed = (_assertion(seal, BUNDLE_LABEL) or {}).get("files") or {}
    if not sealed:
        return [f"{SEAL}: holds no list of the bundle's files"], notes
    # 1. every file as sealed
    for name in sorted(names - {SEAL}):
        if name not in sealed:
            problems.append(f"{name}: not in the sealed list: the file was added to the bundle")
    for name, digest in sorted(sealed.items()):
        if name not in names:
            problems.append(f"{name}: missing from the bundle")
        elif _sha256(bundle.read(name)) != digest:
            problems.append(f"{name}: changed: its SHA-256 is {_sha256(bundle.read(name))}, the seal says {digest}")
    if seal_state != "Trusted":
        why = "the trust anchors could not be read" if anchors_unusable else "its signer does not chain to the anchors"
        if not any(p.startswith(ANCHORS) for p in problems):
            problems.append(f"{SEAL}: not Trusted ({seal_state}; {why}): it was not sealed by the platform whose "
                            "anchors are in use")
    if problems:
        return problems, notes
    notes.append(f"all {len(sealed)} files match the seal ({SEAL}, Trusted)")
    # 2. SHA256SUMS says the same
    listed = {}
    for line in bundle.read(SUMS).decode("utf-8").splitlines():
        if line.strip():
            digest, _, name = line.partition("  ")
            listed[name] = digest
    if listed != {n: d for n, d in sealed.items() if n != SUMS}:
        problems.append(f"{SUMS}: disagrees with the sealed list")
    # 3. the output and its records
    record = json.loads(bundle.read("record.json"))
    manifest = json.loads(bundle.read("manifest.json"))
    output = record["output"]
    consent = _assertion(manifest, "org.likeness-platform.consent") or {}
    if consent.get("decision_id") != (record.get("release_decision") or {}).get("id"):
        problems.append("record.json: the release decision differs from the one named in manifest.json")
    grant = record.get("grant") or {}
    if str(consent.get("grant_id")) != str(grant.get("id")) or consent.get("grant_version") != grant.get("version"):
        problems.append("record.json: the grant differs from the one named in manifest.json")
    if consent.get("grant_document_sha256") != grant.get("document_sha256"):
        problems.append("record.json: the grant's document hash differs from manifest.json")
    if manifest.get("active_manifest") != output.get("manifest_label"):
        problems.append("manifest.json: its active manifest is not the output's manifest label in record.json")
    media_name = record.get("output_file")
    if media_name:
        data = bundle.read(media_name)
        if _sha256(data) != output.get("sha256"):
            problems.append(f"{media_name}: its SHA-256 is not the output's in record.json")
        store = _read_c2pa(data, output["mime"], anchors)
        if store.get("validation_state") != "Trusted":
            problems.append(f"{media_name}: reads {store.get('validation_state')} ({', '.join(_failures(store))}), "
                            "not Trusted")
        if store.get("active_manifest") != manifest.get("active_manifest"):
            problems.append(f"{media_name}: its manifest is not the one in manifest.json")
        else:
            notes.append(f"{media_name}: Trusted, manifest {store.get('active_manifest')}")
    else:
        notes.append(f"the signed file is not included ({output.get('size')} bytes); check it separately: SHA-256 "
                     f"{output.get('sha256')}")
    # 4. audit events
    events = json.loads(bundle.read("audit_events.json"))
    for event in events:
        if event_hash(event) != event["hash"]:
            problems.append(f"audit_events.json: event #{event['seq']} ({event['action']}) does not match its hash")
    if not any(e["action"] == "output.released" and e["data"].get("sha256") == output.get("sha256") for e in events):
        problems.append("audit_events.json: no release event for this output's SHA-256")
    if not problems:
        notes.append(f"{len(events)} audit events recompute to their chain hashes")
    if record.get("bundle_format", 1) >= 2:
        _check_format_2(bundle, record, manifest, events, anchors or "", problems, notes)
    else:
        notes.append("a format 1 bundle: no signing chain, revocation list or audit inclusion proofs to check")
    return problems, notes


def _check_format_2(bundle: Bundle, record: dict[str, Any], manifest: dict[str, Any], events: list[dict[str, Any]],
                    anchors: str, problems: list[str], notes: list[str]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    # The signing certificate, as the output's own signature carries it.
    chain = x509.load_pem_x509_certificates(bundle.read(CHAIN)) if bundle.read(CHAIN).strip() else []
    leaf_sha256 = chain[0].fingerprint(hashes.SHA256()).hex() if chain else None
    validation = json.loads(bundle.read("validation.json"))
    named = (record.get("signing_certificate") or {}).get("fingerprint_sha256")
    if not chain or leaf_sha256 != named or leaf_sha256 != validation.get("signer_certificate_sha256"):
        problems.append(f"{CHAIN}: its signing certificate is not the one record.json and validation.json name")
    anchor_certs = x509.load_pem_x509_certificates(anchors.encode()) if anchors else []
    intermediate = next((c for c in anchor_certs if chain and c.subject == chain[0].issuer), None)
    # The revocation list, from the certificate's own issuer.
    crl = x509.load_pem_x509_crl(bundle.read(CRL))
    if intermediate is None or crl.issuer != intermediate.subject or not crl.is_signature_valid(
            intermediate.public_key()):  # type: ignore[arg-type]
        problems.append(f"{CRL}: not signed by the CA that issued the signing certificate")
    elif chain:
        entry = crl.get_revoked_certificate_by_serial_number(chain[0].serial_number)
        signed_at = (validation.get("signer") or {}).get("time")
        if entry is not None and (not signed_at or dt.datetime.fromisoformat(signed_at) + dt.timedelta(seconds=2)
                                  > entry.revocation_date_utc):
            problems.append(f"{CRL}: the signing certificate was revoked on {entry.revocation_date_utc:%Y-%m-%d} "
                            "and the output was not signed before that")
        else:
            notes.append(f"{CRL}: the signing certificate is not revoked as of {crl.last_update_utc:%Y-%m-%d}")
    # The source plate: the bundle and the signed manifest name the same footage.
    active = (manifest.get("manifests") or {}).get(manifest.get("active_manifest") or "", {})
    plate = next((i.get("metadata", {}).get(PLATE_SHA256_KEY) for i in active.get("ingredients") or []
                  if i.get("relationship") == "parentOf"), None)
    if not plate or plate != record.get("source_plate_sha256"):
        problems.append("record.json: the source plate's SHA-256 is not the one the signed manifest names")
    # The audit events: each proven to be in the checkpointed log, and the whole lifecycle there.
    checkpoint = _checkpoint(bundle, intermediate, problems)
    if checkpoint is not None:
        from likeness.audit import merkle

        root = bytes.fromhex(checkpoint["root_hash"])
        for event in events:
            proof = event.get("inclusion")
            if not proof:
                problems.append(f"audit_events.json: event #{event['seq']} has no inclusion proof")
                continue
            leaf = merkle.leaf_hash(event_hash(event), event.get("actor_id"))
            try:
                found = merkle.root_from_proof(leaf, proof["leaf_index"], proof["tree_size"],
                                               [bytes.fromhex(h) for h in proof["proof"]])
            except (ValueError, KeyError) as exc:
                found = b""
                problems.append(f"audit_events.json: event #{event['seq']}: its proof is malformed ({exc})")
            if found != root or proof["tree_size"] != checkpoint["tree_size"] or proof["leaf_index"] != event["seq"] - 1:
                problems.append(f"audit_events.json: event #{event['seq']} is not in the checkpointed audit log")
        notes.append(f"{len(events)} audit events are in the audit log of checkpoint {checkpoint['tree_size']}, "
                     f"timestamped {checkpoint['timestamp']}")
    actions = {e["action"] for e in events}
    decisions = {str(e["object_id"]) for e in events if e["action"] == "decision.made"}
    wanted = {str((record.get(k) or {}).get("id")) for k in ("release_decision", "render_decision") if record.get(k)}
    missing = [a for a in LIFECYCLE if a not in actions] + [f"decision.made for {d}" for d in sorted(wanted - decisions)]
    if missing:
        problems.append(f"audit_events.json: the output's lifecycle is incomplete: no {', '.join(missing)}")


def _checkpoint(bundle: Bundle, intermediate: Any, problems: list[str]) -> dict[str, Any] | None:
    """The checkpoint in the bundle, after checking its signature (by a certificate the platform's intermediate
    issued) and its RFC 3161 timestamp (for exactly its bytes): the platform's own check (checkpoint_proof.py)."""
    from likeness.audit.checkpoint_proof import CheckpointError, proofs_check

    jsons = [n for n in bundle.names() if n.startswith("checkpoint/") and n.endswith(".json")]
    if len(jsons) != 1:
        problems.append("checkpoint/: the bundle must hold exactly one audit checkpoint")
        return None
    name = jsons[0]
    stem = name[:-len(".json")]
    try:
        if intermediate is None:
            raise CheckpointError(f"{name}: no issuer among the anchors")
        return proofs_check(name, bundle.read(name), chain_pem=bundle.read(stem + ".pem"),
                            signature=bundle.read(stem + ".sig"), token=bundle.read(stem + ".tsr"),
                            issuer=intermediate)
    except KeyError as exc:
        problems.append(f"{name}: a proof file is missing from the bundle ({exc})")
    except CheckpointError as exc:
        problems.append(str(exc))
    return None


def main(argv: list[str] | None = None, out: Any = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", help="the bundle zip, or its unpacked directory")
    trust = parser.add_mutually_exclusive_group()
    trust.add_argument("--anchors", type=Path, default=None, help="trust anchors PEM obtained from the platform")
    trust.add_argument("--root-sha256", default=None,
                       help="the platform's root certificate SHA-256, confirmed against what the platform publishes")
    args = parser.parse_args(argv)
    problems, notes = check(Path(args.bundle), args.anchors, args.root_sha256)
    for note in notes:
        print(f"ok: {note}", file=out)
    for problem in problems:
        print(f"FAIL: {problem}", file=out)
    when = f"checked at {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}"
    if problems:
        print(f"{when}: NOT INTACT", file=out)
        return 1
    if args.anchors is None and args.root_sha256 is None:
        try:
            root = root_fingerprint(Bundle(Path(args.bundle)).read(ANCHORS))
        except (KeyError, ValueError):
            root = "?"
        print(f"{when}: UNCONFIRMED: the bundle agrees with itself, but nothing says its anchors are the "
              f"platform's. Confirm that the platform publishes root SHA-256 {root}, then run again with "
              f"--root-sha256 {root}", file=out)
        return UNCONFIRMED
    print(f"{when}: INTACT", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
