"""A minimal, valid one-page PDF: the stand-in for a signed contract in demos and tests."""
from __future__ import annotations

import io

from pypdf import PdfWriter


def contract_pdf(title: str = "Consent agreement") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # A4 in points
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
