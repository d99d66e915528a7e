"""Checking an uploaded signed contract: a real PDF, within the size limit."""
from __future__ import annotations

from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from likeness.common.hashing import sha256_stream
from likeness.common.uploads import PDF, require_type


def validate_signed_document(stream: BinaryIO, *, size: int | None = None) -> str:
    """Return the document's SHA-256, or raise ValidationError({'document': ...}) saying what is wrong."""
    limit = settings.CONSENT_DOCUMENT_MAX_BYTES
    if size is None:
        stream.seek(0, 2)
        size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise ValidationError({"document": "the file is empty"})
    if size > limit:
        raise ValidationError({"document": f"the file is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.1f} MB"})
    # By content, as every upload is: a PNG named contract.pdf is refused here.
    require_type(stream, field="document", allowed={PDF})
    try:
        reader = PdfReader(stream, strict=False)
        if len(reader.pages) < 1:
            raise ValidationError({"document": "the PDF has no pages"})
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ValidationError({"document": f"the PDF cannot be read: {exc}"}) from exc
    return sha256_stream(stream)
