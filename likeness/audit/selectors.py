"""Reading and verifying the audit chain."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db.models import QuerySet

from likeness.audit import merkle
from likeness.audit.chain import event_hash
from likeness.audit.checkpoint_proof import CheckpointError
from likeness.audit.checkpoints import checkpoints_check
from likeness.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str = ""
    # The latest checkpoint outside the database the chain was checked against (None: there is none yet).
    checkpoint: dict[str, object] | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "events_checked": self.events_checked,
            "first_bad_seq": self.first_bad_seq,
            "first_bad_id": self.first_bad_id,
            "problem": self.problem,
            "checkpoint": self.checkpoint,
        }


def _events_in_order() -> Iterator[AuditEvent]:
    # Ordered by primary key (insertion order), not by seq: a reordering shows as seq out of step.
    return AuditEvent.objects.order_by("id").iterator(chunk_size=2000)


def audit_chain_verify(checkpoint_base: Path | None = None, *, every_checkpoint: bool = True) -> ChainReport:
    """Walk the whole chain and name the first event that does not fit, then check it against the signed
    checkpoints outside the database (which catch a chain rewritten whole, or truncated with its head row).
    `every_checkpoint=False` checks the signatures of the latest two only (each one's link is still followed)."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    leaves: list[bytes] = []
    for event in _events_in_order():
        if event.seq != expected_seq:
            kind = "missing (deleted)" if event.seq > expected_seq else "out of order or inserted"
            return ChainReport(False, checked, event.seq, event.id,
                               f"event #{event.seq} (id {event.id}) found where #{expected_seq} was expected: "
                               f"an event is {kind}")
        if event.prev_hash != prev_hash:
            return ChainReport(False, checked, event.seq, event.id,
                               f"event #{event.seq} (id {event.id}) does not link to the event before it: "
                               "an event was inserted, deleted or reordered")
        recomputed = event_hash(
            seq=event.seq, at=event.at, actor_label=event.actor_label, action=event.action,
            object_type=event.object_type, object_id=event.object_id, data=event.data,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            return ChainReport(False, checked, event.seq, event.id,
                               f"event #{event.seq} (id {event.id}) was edited: its content no longer matches "
                               "its hash")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
        leaves.append(merkle.leaf_hash(event.hash, event.actor_id))
    head = AuditChainHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != prev_hash:
        return ChainReport(False, checked, checked + 1 if head_seq > checked else head_seq, None,
                           f"the chain head records {head_seq} events ending in {head_hash[:12]}..., "
                           f"the table holds {checked} ending in {prev_hash[:12]}...: events at the end "
                           "were deleted or appended outside the platform")
    try:
        checkpoint, problem = checkpoints_check(leaves, checkpoint_base, every=every_checkpoint)
    except CheckpointError as exc:
        checkpoint, problem = None, str(exc)
    if problem:
        return ChainReport(False, checked, None, None, f"checked against the checkpoints: {problem}", checkpoint)
    return ChainReport(True, checked, checkpoint=checkpoint)


def audit_events_for(*, object_type: str, object_id: str) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("seq")
