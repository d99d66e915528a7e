"""Canonical JSON and SHA-256 helpers.

The audit chain and the gate's input hash must give the same digest on every machine and database, so
JSON is serialised canonically: sorted keys, no whitespace, UTF-8, dates as ISO 8601 strings.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from typing import IO, Any

CHUNK = 1024 * 1024


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in canonical JSON; use an aware UTC datetime")
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__} canonically")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def to_jsonable(value: Any) -> Any:
    """Round-trip through canonical JSON so stored JSON equals what was hashed."""
    return json.loads(canonical_json(value))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_json(value: Any) -> str:
    return sha256_text(canonical_json(value))


def sha256_stream(stream: IO[bytes]) -> str:
    """Hash a file-like object in chunks (uploads can be large) and rewind it for the caller."""
    digest = hashlib.sha256()
    if hasattr(stream, "seek"):
        stream.seek(0)
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    if hasattr(stream, "seek"):
        stream.seek(0)
    return digest.hexdigest()
