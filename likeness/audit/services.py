"""Writing audit events. Call `audit_record` inside the transaction of the change it records."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone

from likeness.audit.chain import event_hash
from likeness.audit.models import AuditChainHead, AuditEvent
from likeness.common.hashing import to_jsonable

SYSTEM_ACTOR = "system"


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain.

    Must run inside the caller's transaction so the event and the change commit or roll back together;
    the chain head row is locked so concurrent writers append one after another.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction of the change it records")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if not object_type or object_id is None:
        raise ValueError("audit_record needs obj or object_type and object_id")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    content = {
        "seq": head.seq + 1,
        "at": timezone.now(),
        "actor_label": actor.get_username() if actor is not None else SYSTEM_ACTOR,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "data": to_jsonable(data or {}),
        "prev_hash": head.hash,
    }
    digest = event_hash(**content)
    event = AuditEvent(actor=actor, hash=digest, **content)
    event.save()
    seq = content["seq"]
    AuditChainHead.objects.filter(id=1).update(seq=seq, hash=digest)
    return event
