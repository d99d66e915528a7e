"""The periodic audit checkpoint (on the sweeps queue, every settings.AUDIT_CHECKPOINT_SECONDS)."""
from __future__ import annotations

from celery import shared_task

from likeness.audit.checkpoints import checkpoint_write


@shared_task(name="likeness.audit.tasks.write_audit_checkpoint", ignore_result=True)
def write_audit_checkpoint() -> int:
    """Thin: the checkpoint writer does the work; 0 when nothing was appended since the last checkpoint."""
    written = checkpoint_write()
    return written.tree_size if written else 0
