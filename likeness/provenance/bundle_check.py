#!/usr/bin/env python3
"""Check a likeness-platform evidence bundle offline.

    python verify_bundle.py BUNDLE.zip [--anchors ANCHORS.pem]
    python verify_bundle.py DIRECTORY   (the bundle unpacked)

Needs Python 3.10+ and c2pa-python (pip install c2pa-python); nothing else, no network, no platform.

What it checks:
  1. seal.png carries Content Credentials signed by the platform; its `org.likeness-platform.bundle` assertion
     lists the SHA-256 of every other file in the bundle. Every file must match; no file may be missing or added.
  2. SHA256SUMS agrees with that sealed list.
  3. The signed output (when included) reads Trusted against the trust anchors, and its manifest, hash and
     consent record agree with manifest.json and record.json.
  4. Each audit event's hash recomputes from its content (the platform's hash-chain definition).
Use --anchors with the platform's anchors obtained independently (e.g. its website or `pki_export_anchors`):
the anchors inside the bundle only prove the bundle is consistent with itself.

This file is part of the platform (likeness/provenance/bundle_check.py) and is copied into every bundle;
`python manage.py verify_bundle` runs the same code.
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
from typing import Any

SEAL = "seal.png"
SUMS = "SHA256SUMS"
BUNDLE_LABEL = "org.likeness-platform.bundle"
ANCHORS = "trust_anchors.pem"


class Bundle:
    """A bundle's files, from a zip or a directory, by name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            self._files = {p.relative_to(path).as_posix(): p for p in sorted(path.rglob("*")) if p.is_file()}
            self._zip = None
        else:
            self._zip = zipfile.ZipFile(path)
            self._files = {n: n for n in self._zip.namelist() if not n.endswith("/")}

    def names(self) -> list[str]:
        return sorted(self._files)

    def read(self, name: str) -> bytes:
        if self._zip is not None:
            return self._zip.read(self._files[name])
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
        return json.loads(reader.json())


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


def check(path: Path, anchors_path: Path | None = None) -> tuple[list[str], list[str]]:
    """Return (problems, notes). No problems: the bundle is intact and consistent."""
    problems: list[str] = []
    notes: list[str] = []
    bundle = Bundle(path)
    names = set(bundle.names())
    if SEAL not in names:
        return [f"{SEAL}: missing: the bundle has no seal, nothing in it can be checked"], notes
    anchors = anchors_path.read_text() if anchors_path else None
    if anchors is None and ANCHORS in names:
        anchors = bundle.read(ANCHORS).decode("utf-8", "replace")
    seal_bytes = bundle.read(SEAL)
    try:
        try:
            seal = _read_c2pa(seal_bytes, "image/png", anchors)
        except Exception:  # noqa: BLE001 - unusable anchors: read the seal without them, trust is checked below
            seal = _read_c2pa(seal_bytes, "image/png", None)
            anchors_unusable = True
        else:
            anchors_unusable = False
    except Exception as exc:  # noqa: BLE001 - the seal itself cannot be read
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
    return problems, notes


def main(argv: list[str] | None = None, out: Any = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", nargs="?", default=str(Path(__file__).resolve().parent),
                        help="the bundle zip, or its unpacked directory (default: this script's directory)")
    parser.add_argument("--anchors", type=Path, default=None, help="trust anchors PEM obtained from the platform")
    args = parser.parse_args(argv)
    problems, notes = check(Path(args.bundle), args.anchors)
    for note in notes:
        print(f"ok: {note}", file=out)
    for problem in problems:
        print(f"FAIL: {problem}", file=out)
    print(f"checked at {dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}: "  # noqa: UP017 - runs on 3.10
          f"{'INTACT' if not problems else 'NOT INTACT'}", file=out)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
