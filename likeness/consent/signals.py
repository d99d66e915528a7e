"""Signals other apps listen to (jobs cancel work, models are quarantined) without consent importing them.

Both are sent inside the transaction that changes the grant, so listeners' writes commit with it.
"""
from __future__ import annotations

from django.dispatch import Signal

# Sent with grant=ConsentGrant, by=user or None, reason=str when consent stops covering anything:
# the grant was revoked, or its term ended.
grant_withdrawn = Signal()
