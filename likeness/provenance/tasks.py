"""Provenance tasks (default queue)."""
from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def output_fingerprint_task(output_id: str) -> str:
    from likeness.provenance.models import Output
    from likeness.provenance.services import output_fingerprint

    output = Output.objects.filter(pk=output_id).first()
    if output is None:
        return "gone"
    return output_fingerprint(output=output).fingerprint[:16]
