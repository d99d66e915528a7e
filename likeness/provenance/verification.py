"""Reading any file's Content Credentials and explaining the result. No database here: `selectors` adds the
platform's records (decision, grant, output) to a report for files the platform signed."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import IO, Any, cast

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from likeness.common import uploads
from likeness.provenance.c2pa_context import (
    CONSENT_LABEL,
    MODEL_LABEL,
    SOFT_BINDING_LABEL,
    TRAINING_MINING_LABEL,
    reading_context,
)
from likeness.provenance.codes import NO_MANIFEST, REVOKED_AFTER_SIGNING, STATE_EXPLANATIONS, explain
from likeness.provenance.jumbf import StoreUnreadable, signing_chain

CHUNK = 4 * 1024 * 1024
# Readers report the signing time in whole seconds and the platform's authority answers to within a second: a
# file counts as signed before a revocation only when it was, whatever that rounding.
TIME_UNCERTAINTY = dt.timedelta(seconds=2)
_HASH_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="verify-sha256")


@dataclass(frozen=True)
class CodeLine:
    code: str
    kind: str  # failure | informational | success
    explanation: str
    detail: str  # what the SDK said about this instance
    url: str = ""
    where: str = "active manifest"


@dataclass
class VerificationReport:
    state: str  # Trusted | Valid | Revoked | Invalid | NoManifest | Unreadable
    state_explanation: str
    mime: str
    sha256: str
    size: int
    active_manifest: str | None = None
    failures: list[CodeLine] = field(default_factory=list)
    informational: list[CodeLine] = field(default_factory=list)
    successes: list[CodeLine] = field(default_factory=list)
    manifests: list[dict[str, Any]] = field(default_factory=list)  # the chain, active first
    consent: dict[str, Any] | None = None
    model: dict[str, Any] | None = None
    signer: dict[str, Any] | None = None
    # SHA-256 of the DER signing certificate, read from the file's own signature (jumbf): what decides
    # whether the platform signed it. Names and serial numbers in `signer` are public and can be copied.
    signer_certificate_sha256: str | None = None
    signing_chain_pem: list[str] = field(default_factory=list)
    manifest_store: dict[str, Any] | None = None  # the raw JSON the SDK returned

    @property
    def codes(self) -> set[str]:
        return {line.code for line in self.failures + self.informational + self.successes}

    @property
    def failure_codes(self) -> list[str]:
        return [line.code for line in self.failures]

    def as_dict(self, *, include_store: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not include_store:
            data.pop("manifest_store")
        data["successes"] = sorted({line.code for line in self.successes})
        return data


def sniff_mime(head: bytes, name: str = "") -> str:
    """The file's real type from its first bytes, never from its name (an upload's name or content type can lie):
    the one sniffer every upload goes through (likeness.common.uploads). `name` is kept for callers' sake."""
    return uploads.sniff(head) or "application/octet-stream"


def hash_stream(stream: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    for block in iter(lambda: stream.read(CHUNK), b""):
        digest.update(block)
        size += len(block)
    stream.seek(0)
    return digest.hexdigest(), size


def _lines(results: dict[str, Any], kind: str, where: str) -> list[CodeLine]:
    key = {"failure": "failure", "informational": "informational", "success": "success"}[kind]
    return [CodeLine(code=item.get("code", "?"), kind=kind, explanation=explain(item.get("code", "?"),
                                                                               item.get("explanation", "")),
                     detail=item.get("explanation", ""), url=item.get("url", ""), where=where)
            for item in results.get(key) or []]


def _assertion(manifest: dict[str, Any], *labels: str) -> Any:
    for assertion in manifest.get("assertions") or []:
        if assertion.get("label") in labels:
            return assertion.get("data")
    return None


def summarise_manifest(label: str, manifest: dict[str, Any]) -> dict[str, Any]:
    actions = _assertion(manifest, "c2pa.actions.v2", "c2pa.actions") or {}
    return {
        "label": label,
        "title": manifest.get("title"),
        "format": manifest.get("format"),
        "claim_generator": [f"{g.get('name')} {g.get('version', '')}".strip()
                            for g in manifest.get("claim_generator_info") or []],
        "signer": manifest.get("signature_info"),
        "actions": [{"action": a.get("action"), "digitalSourceType": a.get("digitalSourceType"),
                     "softwareAgent": a.get("softwareAgent"), "parameters": {
                         k: v for k, v in (a.get("parameters") or {}).items() if k not in ("ingredients",)},
                     "description": a.get("description")}
                    for a in actions.get("actions") or []],
        "ingredients": [{"title": i.get("title"), "format": i.get("format"), "relationship": i.get("relationship"),
                         "active_manifest": i.get("active_manifest"),
                         "sha256": (i.get("metadata") or {}).get("org.likeness-platform.sha256")}
                        for i in manifest.get("ingredients") or []],
        "training_mining": _assertion(manifest, TRAINING_MINING_LABEL),
        "soft_binding": _assertion(manifest, SOFT_BINDING_LABEL),
        "assertion_labels": [a.get("label") for a in manifest.get("assertions") or []],
    }


def report_from_store(store: dict[str, Any], *, mime: str, sha256: str, size: int) -> VerificationReport:
    state = store.get("validation_state") or "Invalid"
    results = store.get("validation_results") or {}
    active_label = store.get("active_manifest")
    manifests = store.get("manifests") or {}
    report = VerificationReport(state=state, state_explanation=STATE_EXPLANATIONS.get(state, state), mime=mime,
                                sha256=sha256, size=size, active_manifest=active_label, manifest_store=store)
    active_results = results.get("activeManifest") or {}
    for kind, target in (("failure", report.failures), ("informational", report.informational),
                         ("success", report.successes)):
        target.extend(_lines(active_results, kind, "active manifest"))
    for delta in results.get("ingredientDeltas") or []:
        where = f"ingredient {delta.get('ingredientAssertionURI', '')}"
        deltas = delta.get("validationDeltas") or {}
        report.failures.extend(_lines(deltas, "failure", where))
        report.informational.extend(_lines(deltas, "informational", where))
    # Older stores (and some error paths) put a flat list in validation_status.
    if not active_results and store.get("validation_status"):
        report.failures.extend(_lines({"failure": store["validation_status"]}, "failure", "manifest store"))
    # The chain: the active manifest, then the manifests of its ingredients, recursively.
    seen: set[str] = set()
    queue = [active_label] if active_label else []
    while queue:
        label = queue.pop(0)
        if label in seen or label not in manifests:
            continue
        seen.add(label)
        manifest = manifests[label]
        report.manifests.append(summarise_manifest(label, manifest))
        queue.extend(i.get("active_manifest") for i in manifest.get("ingredients") or [] if i.get("active_manifest"))
    if active_label in manifests:
        active = manifests[active_label]
        report.consent = _assertion(active, CONSENT_LABEL)
        report.model = _assertion(active, MODEL_LABEL)
        report.signer = active.get("signature_info")
    if state == "Invalid" and not report.failures:
        report.failures.append(CodeLine(code="general.error", kind="failure", explanation=explain("general.error"),
                                        detail="the SDK reported Invalid without a failure code"))
    return report


class _LargeReads:
    """A file for the SDK to read, faster when it asks for much at once.

    c2pa-rs reads an MP4's whole media data in one call into a buffer it has just allocated. Filling 100 MB of
    fresh memory page by page costs as much as a third of the verification: so the buffer is first advised to
    use huge pages (2 MB, 512 times fewer faults) and filled by two threads reading halves with pread (which
    release the GIL). Small reads go straight through. Linux only; elsewhere it is a plain file."""

    LARGE = 8 * 1024 * 1024
    MADV_HUGEPAGE = 14

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._fd = raw.fileno()

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        if size < self.LARGE or not hasattr(os, "preadv"):
            return cast(int, self._raw.readinto(buffer))  # type: ignore[attr-defined]  # a real file (IO lacks it)
        view = memoryview(buffer).cast("B")
        _advise_huge_pages(view)
        start = self._raw.tell()
        half = size // 2

        def fill(lo: int, hi: int) -> int:
            got = 0
            while lo + got < hi:
                n = os.preadv(self._fd, [view[lo + got:hi]], start + lo + got)
                if n == 0:
                    break
                got += n
            return got

        second = _READ_POOL.submit(fill, half, size)
        first = fill(0, half)
        total = first + second.result() if first == half else first
        self._raw.seek(start + total)
        return total

    def read(self, size: int = -1) -> bytes:
        return self._raw.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def write(self, _data: bytes) -> int:  # the SDK's stream interface wants these; a reader never writes
        raise OSError("read-only")

    def flush(self) -> None:
        return None


_READ_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verify-read")


def _advise_huge_pages(view: memoryview) -> None:
    try:
        import ctypes
        import mmap

        libc = ctypes.CDLL(None, use_errno=True)
        address = ctypes.addressof(ctypes.c_char.from_buffer(view))
        page = mmap.PAGESIZE
        lo, hi = -(-address // page) * page, (address + len(view)) // page * page
        if hi > lo:
            libc.madvise(ctypes.c_void_p(lo), ctypes.c_size_t(hi - lo), _LargeReads.MADV_HUGEPAGE)
    except (OSError, AttributeError, TypeError, ValueError):
        pass  # advice only: without it the read is slower, not wrong


def _hash_path(path: str) -> tuple[str, int]:
    with open(path, "rb", buffering=0) as fh:
        return hash_stream(fh)


def _revocation(chain: list[bytes], crl_pem: bytes) -> tuple[dt.datetime, str] | None:
    """(date, reason) when the CRL, signed by the signing certificate's own issuer, lists the certificate."""
    try:
        crl = x509.load_pem_x509_crl(crl_pem)
        leaf = x509.load_der_x509_certificate(chain[0])
        issuers = [x509.load_der_x509_certificate(der) for der in chain[1:]]
    except ValueError:
        return None
    issuer = next((c for c in issuers if c.subject == leaf.issuer == crl.issuer), None)
    public_key = issuer.public_key() if issuer is not None else None
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey) or not crl.is_signature_valid(
            public_key):
        return None  # a CRL from another issuer (or forged) says nothing about this certificate
    entry = crl.get_revoked_certificate_by_serial_number(leaf.serial_number)
    if entry is None:
        return None
    try:
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
    except x509.ExtensionNotFound:
        reason = "unspecified"
    return entry.revocation_date_utc, reason


def _signed_at(report: VerificationReport) -> dt.datetime | None:
    """The signing time, only when a trusted RFC 3161 timestamp proves it (the claim's own time can be anything)."""
    stamped = {"timeStamp.validated", "timeStamp.trusted"} <= {line.code for line in report.successes}
    when = (report.signer or {}).get("time")
    if not stamped or not when:
        return None
    try:
        return dt.datetime.fromisoformat(str(when))
    except ValueError:
        return None


def apply_revocation(report: VerificationReport, chain: list[bytes], crl_pem: bytes) -> None:
    """A file signed with a revoked certificate after its revocation date (or with no trusted time to prove it
    was before) reads Revoked; one signed before keeps its state, with a note."""
    if report.state not in ("Trusted", "Valid"):
        return
    revoked = _revocation(chain, crl_pem)
    if revoked is None:
        return
    when, reason = revoked
    signed_at = _signed_at(report)
    on = f"{when:%Y-%m-%d %H:%M:%S} UTC ({reason.replace('_', ' ')})"
    if signed_at is not None and signed_at + TIME_UNCERTAINTY <= when:
        report.informational.append(CodeLine(
            code=REVOKED_AFTER_SIGNING, kind="informational", explanation=explain(REVOKED_AFTER_SIGNING),
            detail=f"revoked on {on}; a trusted timestamp shows this file was signed on "
                   f"{signed_at:%Y-%m-%d %H:%M:%S} UTC, before that"))
        return
    report.state = "Revoked"
    report.state_explanation = STATE_EXPLANATIONS["Revoked"]
    signed = f"on {signed_at:%Y-%m-%d %H:%M:%S} UTC, after that" if signed_at else \
        "at a time no trusted timestamp proves was before that"
    report.failures.append(CodeLine(code="signingCredential.revoked", kind="failure",
                                    explanation=explain("signingCredential.revoked"),
                                    detail=f"the signing certificate was revoked on {on}; this file was signed "
                                           f"{signed}"))


def verify_stream(stream: IO[bytes], *, anchors_pem: str | None, name: str = "", mime: str | None = None,
                  path: str | None = None, crl_pem: bytes | None = None,
                  digest: tuple[str, int] | None = None) -> VerificationReport:
    """Validate one file's Content Credentials against `anchors_pem` (None: trust nothing) and, given the
    issuer's CRL, against revocation.

    The file's SHA-256 (for the registry) is `digest` when the caller has it (an upload is hashed as it
    arrives: likeness.common.uploads); else, with `path` (the same file on disk), it is computed in a second thread
    while the SDK validates; else before.
    """
    hashing = None
    if digest is not None:
        sha256, size = digest
    elif path:
        hashing = _HASH_POOL.submit(_hash_path, path)
    else:
        sha256, size = hash_stream(stream)
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    mime = mime or sniff_mime(head, name)
    try:
        fast = _LargeReads(stream) if _has_fileno(stream) else stream
        with c2pa.Reader(mime, fast, context=reading_context(anchors_pem)) as reader:
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        if hashing is not None:
            sha256, size = hashing.result()
        return VerificationReport(state="NoManifest", state_explanation=STATE_EXPLANATIONS["NoManifest"], mime=mime,
                                  sha256=sha256, size=size,
                                  failures=[CodeLine(code=NO_MANIFEST, kind="failure", explanation=explain(NO_MANIFEST),
                                                     detail="no JUMBF/C2PA data found in the file")])
    except c2pa.C2paError as exc:
        if hashing is not None:
            sha256, size = hashing.result()
        return VerificationReport(state="Unreadable", state_explanation=STATE_EXPLANATIONS["Unreadable"], mime=mime,
                                  sha256=sha256, size=size,
                                  failures=[CodeLine(code="unreadable", kind="failure", explanation=explain("unreadable"),
                                                     detail=str(exc))])
    finally:
        stream.seek(0)
    if hashing is not None:
        sha256, size = hashing.result()
    report = report_from_store(store, mime=mime, sha256=sha256, size=size)
    if report.active_manifest:
        try:
            chain = signing_chain(stream, mime, report.active_manifest)
        except StoreUnreadable:
            chain = []
        finally:
            stream.seek(0)
        if chain:
            report.signer_certificate_sha256 = hashlib.sha256(chain[0]).hexdigest()
            report.signing_chain_pem = [_pem(der) for der in chain]
            if crl_pem:
                apply_revocation(report, chain, crl_pem)
    return report


def _has_fileno(stream: IO[bytes]) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def _pem(der: bytes) -> str:
    body = base64.b64encode(der).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"


def verify_path(path: Any, *, anchors_pem: str | None, mime: str | None = None,
                crl_pem: bytes | None = None) -> VerificationReport:
    # A 1 MiB buffer: the SDK reads through Python callbacks, and PNG parsing issues many small reads.
    with open(path, "rb", buffering=1 << 20) as fh:
        return verify_stream(fh, anchors_pem=anchors_pem, name=str(path), mime=mime, path=str(path),
                             crl_pem=crl_pem)
