"""Signals other apps listen to without provenance importing them.

Sent inside the transaction that changes the output, so listeners' writes commit with it.
"""
from __future__ import annotations

from django.dispatch import Signal

# Sent with output=Output, by=user or None, reason=str when an output will never be released: it was declined,
# or the consent it was made under ended first (withdrawn). The job that rendered it ends with it.
output_closed = Signal()
