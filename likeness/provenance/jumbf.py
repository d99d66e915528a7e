"""A file's C2PA manifest store read without the SDK: the certificates that signed a manifest, and its claim.

The C2PA SDK validates the signature but reports the signer only by names and serial number, which anyone can
copy into a certificate of their own. To tell whether a file is the platform's, the verifier compares the
signing certificate byte for byte (its SHA-256 fingerprint) with the certificates the platform issued, so it
needs the certificate: this module finds the manifest store in the container (PNG `caBX` chunk, JPEG APP11
segments, MP4/MOV `uuid` box), walks its JUMBF boxes to the active manifest's `c2pa.signature`, and reads the
`x5chain` header of that COSE_Sign1 structure (C2PA 2.x, section 14; ISO/IEC 19566-5 for JUMBF).

It only reads structure, and never decides validity: the SDK's validation (with the platform's anchors) says
whether the signature holds; this says whose certificate made it. Anything it cannot parse yields no chain,
which the verifier treats as "not ours".
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import IO, Any

import cbor2

C2PA_MP4_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
JUMBF_SUPERBOX = b"jumb"
JUMBF_DESCRIPTION = b"jumd"
X5CHAIN = 33  # COSE header label (RFC 9360)
COSE_SIGN1_TAG = 18
MAX_STORE = 64 * 1024 * 1024  # a manifest store larger than this is not one the platform wrote


class StoreUnreadable(ValueError):
    pass


# ----- the manifest store in each container ---------------------------------------------------------------------

def _png_store(stream: IO[bytes]) -> bytes:
    stream.seek(8)  # the signature
    while True:
        header = stream.read(8)
        if len(header) < 8:
            raise StoreUnreadable("no caBX chunk in the PNG")
        length, kind = struct.unpack(">I4s", header)
        if kind == b"caBX":
            if length > MAX_STORE:
                raise StoreUnreadable("the caBX chunk is too large")
            return stream.read(length)
        if kind == b"IEND":
            raise StoreUnreadable("no caBX chunk in the PNG")
        stream.seek(length + 4, 1)  # data and CRC


def _jpeg_store(stream: IO[bytes]) -> bytes:
    """APP11 segments carrying JUMBF: each holds CI 'JP', En (box instance), Z (sequence), then the box; from the
    second segment on, the box header (LBox, TBox) is repeated and dropped when joining."""
    stream.seek(2)  # SOI
    parts: dict[int, list[tuple[int, bytes]]] = {}
    while True:
        marker = stream.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            break
        kind = marker[1]
        if kind in (0xD9, 0xDA):  # end of image, start of scan: no more metadata segments
            break
        if 0xD0 <= kind <= 0xD7 or kind == 0x01:
            continue
        (length,) = struct.unpack(">H", stream.read(2))
        body = stream.read(length - 2)
        if kind == 0xEB and body[:2] == b"JP" and len(body) >= 16:
            instance, sequence = struct.unpack(">HI", body[2:8])
            parts.setdefault(instance, []).append((sequence, body[8:]))
    for segments in parts.values():
        segments.sort()
        first = segments[0][1]
        if first[4:8] != JUMBF_SUPERBOX:
            continue
        header = 16 if struct.unpack(">I", first[:4])[0] == 1 else 8
        store = first + b"".join(seg[header:] for _, seg in segments[1:])
        if _label(store) == "c2pa":
            return store
    raise StoreUnreadable("no C2PA JUMBF in the JPEG's APP11 segments")


def _mp4_store(stream: IO[bytes]) -> bytes:
    """The top-level `uuid` box with the C2PA extended type: FullBox header, purpose "manifest", a 64-bit merkle
    offset, then the manifest store."""
    stream.seek(0, 2)
    end = stream.tell()
    offset = 0
    while offset + 8 <= end:
        stream.seek(offset)
        size, kind = struct.unpack(">I4s", stream.read(8))
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", stream.read(8))
            header = 16
        elif size == 0:
            size = end - offset
        if size < header:
            break
        if kind == b"uuid" and stream.read(16) == C2PA_MP4_UUID:
            body_len = size - header - 16
            if body_len > MAX_STORE:
                raise StoreUnreadable("the C2PA box is too large")
            body = stream.read(body_len)[4:]  # version and flags
            purpose, _, rest = body.partition(b"\0")
            if purpose == b"manifest":
                return rest[8:]  # after the merkle offset
        offset += size
    raise StoreUnreadable("no C2PA uuid box in the MP4")


STORES = {"image/png": _png_store, "image/jpeg": _jpeg_store, "video/mp4": _mp4_store, "video/quicktime": _mp4_store}


# ----- JUMBF ----------------------------------------------------------------------------------------------------

def _boxes(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, payload) of each box in `data`."""
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[pos + 8:pos + 16])
            header = 16
        elif size == 0:
            size = len(data) - pos
        if size < header or pos + size > len(data):
            raise StoreUnreadable("a JUMBF box overruns its container")
        yield kind, data[pos + header:pos + size]
        pos += size


def _label(superbox: bytes) -> str | None:
    """The label of a superbox given whole (with its header)."""
    for kind, payload in _boxes(superbox):
        return _description_label(_first(payload)) if kind == JUMBF_SUPERBOX else None
    return None


def _first(payload: bytes) -> bytes:
    for kind, body in _boxes(payload):
        return body if kind == JUMBF_DESCRIPTION else b""
    return b""


def _description_label(description: bytes) -> str | None:
    """jumd: a 16-byte content type, one toggles byte, then (if toggle 0x02) a null-terminated UTF-8 label."""
    if len(description) < 17 or not description[16] & 0x02:
        return None
    return description[17:].split(b"\0", 1)[0].decode("utf-8", "replace")


def _children(payload: bytes) -> Iterator[tuple[str | None, bytes, bytes]]:
    """(label, type, payload) of the boxes inside a superbox's payload, after its description."""
    for kind, body in _boxes(payload):
        if kind == JUMBF_DESCRIPTION:
            continue
        yield (_description_label(_first(body)) if kind == JUMBF_SUPERBOX else None), kind, body


def _manifest(store: bytes, manifest_label: str | None) -> bytes:
    top = next(_boxes(store), None)
    if top is None or top[0] != JUMBF_SUPERBOX or _description_label(_first(top[1])) != "c2pa":
        raise StoreUnreadable("the data is not a C2PA manifest store")
    manifests = [(label, body) for label, kind, body in _children(top[1]) if kind == JUMBF_SUPERBOX]
    if not manifests:
        raise StoreUnreadable("the manifest store holds no manifest")
    # The active manifest is the last one in the store; a label, when given, must name it.
    chosen = next((body for label, body in manifests if label == manifest_label), None) if manifest_label \
        else manifests[-1][1]
    if chosen is None:
        raise StoreUnreadable(f"no manifest {manifest_label} in the store")
    return chosen


def _cbor_box(manifest: bytes, *labels: str) -> bytes:
    for label, kind, body in _children(manifest):
        if kind == JUMBF_SUPERBOX and label in labels:
            for _, inner_kind, inner in _children(body):
                if inner_kind == b"cbor":
                    return inner
    raise StoreUnreadable(f"the manifest has no {' or '.join(labels)} box")


def _store_of(stream: IO[bytes], mime: str) -> bytes:
    reader = STORES.get(mime)
    if reader is None:
        raise StoreUnreadable(f"no reader for {mime}")
    position = stream.tell()
    try:
        return reader(stream)
    except (struct.error, OSError) as exc:
        raise StoreUnreadable(f"the {mime} container cannot be read: {exc}") from exc
    finally:
        stream.seek(position)


def _chain_from_cose(cose: bytes) -> list[bytes]:
    try:
        value = cbor2.loads(cose)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError) as exc:
        raise StoreUnreadable(f"the signature is not CBOR: {exc}") from exc
    if isinstance(value, cbor2.CBORTag) and value.tag == COSE_SIGN1_TAG:
        value = value.value
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise StoreUnreadable("the signature is not a COSE_Sign1 structure")
    protected_raw, unprotected = value[0], value[1]
    try:
        protected = cbor2.loads(protected_raw) if protected_raw else {}
    except (cbor2.CBORDecodeError, ValueError, TypeError) as exc:
        raise StoreUnreadable("the signature's protected header is not CBOR") from exc
    # C2PA 2.x puts x5chain in the protected header; 1.x signers put it in the unprotected one.
    chain = (protected if isinstance(protected, dict) else {}).get(X5CHAIN)
    if chain is None and isinstance(unprotected, dict):
        chain = unprotected.get(X5CHAIN)
    if isinstance(chain, bytes):
        chain = [chain]
    if not isinstance(chain, list | tuple) or not chain or not all(isinstance(c, bytes) for c in chain):
        raise StoreUnreadable("the signature carries no x5chain")
    return list(chain)


def signing_chain(stream: IO[bytes], mime: str, manifest_label: str | None = None) -> list[bytes]:
    """The DER certificates (end-entity first) that signed the manifest `manifest_label` (default: the active
    one) in the file. Raises StoreUnreadable when the file holds none that can be read."""
    manifest = _manifest(_store_of(stream, mime), manifest_label)
    return _chain_from_cose(_cbor_box(manifest, "c2pa.signature"))


def claim(stream: IO[bytes], mime: str, manifest_label: str | None = None) -> dict[str, Any]:
    """The claim of a manifest (default: the active one) as CBOR decodes it: `created_assertions` and
    `gathered_assertions` (C2PA 2.x claims) list the hashed URIs of the assertions the signer made or gathered."""
    manifest = _manifest(_store_of(stream, mime), manifest_label)
    try:
        value = cbor2.loads(_cbor_box(manifest, "c2pa.claim.v2", "c2pa.claim"))
    except (cbor2.CBORDecodeError, ValueError, TypeError) as exc:
        raise StoreUnreadable(f"the claim is not CBOR: {exc}") from exc
    if not isinstance(value, dict):
        raise StoreUnreadable("the claim is not a CBOR map")
    return value
