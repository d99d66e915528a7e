"""Signed, timestamped checkpoints of the audit chain, kept outside the database.

The hash chain inside the database catches edits by anyone who cannot also rewrite the rest of it. Someone who
can (a database administrator, an attacker with the database password) could recompute every hash, truncate
the tail and rewrite the head row, or empty the table. A checkpoint fixes the chain's state outside their reach:
the root of a Merkle tree over every event so far (`merkle.py`), signed with the platform's signing key and
dated by an RFC 3161 timestamp, written as new files (never overwritten) to settings.AUDIT_CHECKPOINT_DIR, a
folder the operator can make write-once. `audit_verify` then checks the table against the latest checkpoint.

Each checkpoint is three files an outsider checks with `openssl` alone (docs/provenance.md):

    checkpoint-<size>.json   the signed bytes: tree size, root, last event, the previous checkpoint's SHA-256
    checkpoint-<size>.sig    ECDSA-SHA256 signature of the .json (DER), by the certificate in the .pem
    checkpoint-<size>.pem    that signing certificate, then its issuer
    checkpoint-<size>.tsr    RFC 3161 timestamp response over the .json
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from likeness.audit import merkle
from likeness.audit.checkpoint_proof import FORMAT, CheckpointError, proofs_check
from likeness.audit.models import AuditChainHead, AuditEvent

NAME = re.compile(r"^checkpoint-(\d{12})\.json$")


@dataclass(frozen=True)
class Checkpoint:
    path: Path  # the .json
    body: dict[str, Any]
    raw: bytes

    @property
    def tree_size(self) -> int:
        return int(self.body["tree_size"])

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.body["root_hash"])

    def sibling(self, suffix: str) -> Path:
        return self.path.with_suffix(suffix)


def checkpoint_dir(base: Path | None = None) -> Path:
    return Path(base or settings.AUDIT_CHECKPOINT_DIR)


def _canonical(body: dict[str, Any]) -> bytes:
    return (json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def checkpoints(base: Path | None = None) -> list[Checkpoint]:
    """Every checkpoint in the folder, oldest first."""
    folder = checkpoint_dir(base)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if NAME.match(path.name):
            raw = path.read_bytes()
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise CheckpointError(f"{path.name} is not JSON: {exc}") from exc
            found.append(Checkpoint(path, body, raw))
    return sorted(found, key=lambda c: c.tree_size)


def leaves_of(events: Any) -> list[bytes]:
    return [merkle.leaf_hash(h, actor) for h, actor in events]


def _write_new(path: Path, data: bytes) -> None:
    """O_EXCL: a checkpoint file is written once and never replaced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def checkpoint_write(base: Path | None = None) -> Checkpoint | None:
    """Write a checkpoint of the chain as it stands, or None when nothing was appended since the last one."""
    from likeness.signing import pki
    from likeness.signing.tsa import timestamp_request

    folder = checkpoint_dir(base)
    folder.mkdir(parents=True, exist_ok=True)
    existing = checkpoints(folder)
    previous = existing[-1] if existing else None
    head = AuditChainHead.objects.filter(id=1).first()
    size = head.seq if head else 0
    if previous is not None and size <= previous.tree_size:
        return None
    # Extend the previous checkpoint's frontier with the events after it: the cost is the new events only.
    frontier = merkle.Frontier.from_list(previous.body["frontier"]) if previous else merkle.Frontier()
    start = previous.tree_size if previous else 0
    rows = AuditEvent.objects.filter(seq__gt=start, seq__lte=size).order_by("seq").values_list("seq", "hash",
                                                                                               "actor_id")
    expected = start + 1
    last_hash = previous.body["last_event_hash"] if previous else ""
    for seq, event_hash, actor_id in rows.iterator(chunk_size=5000):
        if seq != expected:
            raise CheckpointError(f"event #{expected} is missing: run audit_verify before checkpointing")
        frontier.append(merkle.leaf_hash(event_hash, actor_id))
        last_hash, expected = event_hash, expected + 1
    if frontier.size != size:
        raise CheckpointError(f"the chain head says {size} events, the table holds {frontier.size}")
    identity = pki.signing_identity()
    cert = identity.certificate()
    body = {
        "format": FORMAT, "tree_size": size, "root_hash": frontier.root().hex(), "last_event_seq": size,
        "last_event_hash": last_hash, "issued_at": dt.datetime.now(dt.UTC).isoformat(),
        "frontier": frontier.as_list(),
        "previous": {"file": previous.path.name, "sha256": hashlib.sha256(previous.raw).hexdigest()}
        if previous else None,
        "signer_certificate_sha256": pki.fingerprint(cert),
    }
    raw = _canonical(body)
    key = serialization.load_pem_private_key(identity.key_pem(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CheckpointError("the signing key is not an EC key")
    signature = key.sign(raw, ec.ECDSA(hashes.SHA256()))
    stamp = timestamp_request(raw)
    path = folder / f"checkpoint-{size:012d}.json"
    # The proof files first: a checkpoint whose .json exists is complete.
    try:
        for suffix, data in ((".sig", signature), (".pem", identity.chain_pem()), (".tsr", stamp)):
            _write_new(path.with_suffix(suffix), data)
        _write_new(path, raw)
    except FileExistsError:
        return _theirs(path)  # another process checkpointed the same state at the same moment: use theirs
    return Checkpoint(path, body, raw)


def _theirs(path: Path, wait: float = 10.0) -> Checkpoint:
    """The checkpoint another writer is completing at `path` (its .json is written last)."""
    deadline = time.monotonic() + wait
    while not path.exists():
        if time.monotonic() > deadline:
            raise CheckpointError(f"{path.name} was started by another writer that did not finish it")
        time.sleep(0.05)
    raw = path.read_bytes()
    return Checkpoint(path, json.loads(raw), raw)


def checkpoint_check(checkpoint: Checkpoint, *, issuer: x509.Certificate | None) -> dict[str, Any]:
    """Check one checkpoint's own proofs: its signature (by a certificate the platform's intermediate issued,
    given `issuer`) and its timestamp (for exactly these bytes). Raises CheckpointError naming what fails."""
    name = checkpoint.path.name
    try:
        chain_pem = checkpoint.sibling(".pem").read_bytes()
        signature = checkpoint.sibling(".sig").read_bytes()
        token = checkpoint.sibling(".tsr").read_bytes()
    except OSError as exc:
        raise CheckpointError(f"{name}: its proof files are missing or unreadable ({exc})") from exc
    proven = proofs_check(name, checkpoint.raw, chain_pem=chain_pem, signature=signature, token=token,
                          issuer=issuer)
    return {"file": name, "tree_size": checkpoint.tree_size, "root_hash": proven["root_hash"],
            "issued_at": proven["issued_at"], "timestamp": proven["timestamp"],
            "timestamp_authority": proven["timestamp_authority"]}


def checkpoints_check(leaves: list[bytes], base: Path | None = None,
                      every: bool = True) -> tuple[dict[str, Any] | None, str]:
    """The chain's leaves (in sequence) against the checkpoints: the proofs of each one (`every`) or of the latest
    two only (a page that checks on each visit), the link from each to the one before it, and the latest one's
    root against the table. (latest checkpoint's summary, problem or "")."""
    from likeness.signing import pki

    found = checkpoints(base)
    if not found:
        return None, ""
    try:
        issuer: x509.Certificate | None = pki.load_cert(pki.pki_dir() / "intermediate.cert.pem")
    except OSError:
        issuer = None  # a verifying host without the CA files: signatures are still checked
    previous: Checkpoint | None = None
    summary: dict[str, Any] | None = None
    for n, checkpoint in enumerate(found):
        if every or n >= len(found) - 2:
            try:
                summary = checkpoint_check(checkpoint, issuer=issuer)
            except CheckpointError as exc:
                return summary, str(exc)
        link = checkpoint.body.get("previous")
        want = {"file": previous.path.name, "sha256": hashlib.sha256(previous.raw).hexdigest()} if previous else None
        if link != want:
            return summary, (f"{checkpoint.path.name} does not follow "
                             f"{previous.path.name if previous else 'nothing'}: a checkpoint was removed or replaced")
        previous = checkpoint
    latest = found[-1]
    if len(leaves) < latest.tree_size:
        return summary, (f"the checkpoint of {latest.body['issued_at']} covers {latest.tree_size} events; the table "
                         f"holds {len(leaves)}: events were deleted (and the chain head rewritten to hide it)")
    if merkle.root(leaves[:latest.tree_size]) != latest.root:
        return summary, (f"the first {latest.tree_size} events no longer hash to the root the checkpoint of "
                         f"{latest.body['issued_at']} recorded: the chain was rewritten (or an event's actor "
                         "changed)")
    return summary, ""
