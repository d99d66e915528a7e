"""The hash of one audit event: pure, so the evidence bundle's offline checker can share the definition."""
from __future__ import annotations

import datetime as dt
from typing import Any

from likeness.common.hashing import sha256_json


def event_hash(
    *,
    seq: int,
    at: dt.datetime,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    data: Any,
    prev_hash: str,
) -> str:
    return sha256_json(
        {
            "seq": seq,
            "at": at,
            "actor": actor_label,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "data": data,
            "prev_hash": prev_hash,
        }
    )
