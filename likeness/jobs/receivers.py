"""Revocation and expiry propagate: queued jobs under the grant are cancelled, models trained under it are
quarantined (weights deleted when the grant says so), and outputs already released keep their records,
marked (provenance listens to the same signal). Running jobs stop at their next gate check (between chunks).
All inside the revoking transaction."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from likeness.audit.services import audit_record
from likeness.consent.models import ConsentGrant
from likeness.consent.signals import grant_withdrawn
from likeness.jobs.logbook import job_log
from likeness.jobs.models import JOB_STATES, Job, JobState, LikenessModel, ModelStatus
from likeness.jobs.selectors import (
    jobs_cancelled_by_withdrawal,
    jobs_withdrawn_by_withdrawal,
    models_quarantined_by_withdrawal,
)
from likeness.provenance.models import Output
from likeness.provenance.signals import output_closed


@receiver(grant_withdrawn, dispatch_uid="jobs.grant_withdrawn")
def on_grant_withdrawn(sender: Any, grant: ConsentGrant, by: Any, reason: str, **kwargs: Any) -> None:
    now = timezone.now()
    why = f"consent {grant.label} ended: {reason}"
    # Lock everything first, then write the audit events (the chain's head is always the last lock taken).
    models = list(models_quarantined_by_withdrawal(grant).select_for_update(no_key=True))
    pending = list(jobs_cancelled_by_withdrawal(grant).select_for_update(no_key=True))
    withdrawn = list(jobs_withdrawn_by_withdrawal(grant).select_for_update(no_key=True, of=("self",)))
    for model in models:
        model.status, model.quarantined_at, model.quarantine_reason = ModelStatus.QUARANTINED, now, why
        model.save(update_fields=["status", "quarantined_at", "quarantine_reason"])
    for job in pending:
        job.state, job.state_reason, job.finished_at = JobState.CANCELLED, why, now
        job.save(update_fields=["state", "state_reason", "finished_at"])
        job_log(job, f"cancelled: {why}", "warning")
    for job in withdrawn:
        job.state, job.state_reason = JobState.WITHDRAWN, f"its output was withdrawn: {why}"
        job.save(update_fields=["state", "state_reason"])
        job_log(job, job.state_reason, "warning")
    for model in models:
        audit_record(actor=by, action="model.quarantined", obj=model, data={"grant": grant.pk, "reason": reason})
        if grant.destroy_models_on_revocation and model.checkpoint:
            _destroy_after_commit(model, by)
    for job in pending:
        audit_record(actor=by, action="job.cancelled", obj=job, data={"grant": grant.pk, "reason": reason})
    for job in withdrawn:
        audit_record(actor=by, action="job.withdrawn", obj=job, data={"grant": grant.pk, "reason": reason,
                                                                      "output": str(job.output_id)})
    # Outputs are marked by provenance's own listener of the same signal.


def _destroy_after_commit(model: LikenessModel, by: Any) -> None:
    """Delete the weights once the quarantine is committed (a rolled-back revocation must not lose them)."""
    model_id = model.pk

    def destroy() -> None:
        with transaction.atomic():
            fresh = LikenessModel.objects.select_for_update(no_key=True).get(pk=model_id)
            if fresh.checkpoint:
                fresh.checkpoint.delete(save=False)
            fresh.status, fresh.destroyed_at = ModelStatus.DESTROYED, timezone.now()
            fresh.save(update_fields=["checkpoint", "status", "destroyed_at"])
            audit_record(actor=by, action="model.destroyed", obj=fresh,
                         data={"weights_sha256": fresh.weights_sha256, "reason": fresh.quarantine_reason})

    transaction.on_commit(destroy)


@receiver(output_closed, dispatch_uid="jobs.output_closed")
def on_output_closed(sender: Any, output: Output, by: Any, reason: str, **kwargs: Any) -> None:
    """A declined output ends the job that rendered it: nothing more will happen to it."""
    job = Job.objects.select_for_update(no_key=True).filter(output=output, state=JobState.AWAITING_APPROVAL).first()
    if job is None:
        return
    JOB_STATES.require(job.state, JobState.DECLINED)
    job.state, job.state_reason, job.finished_at = JobState.DECLINED, reason[:4000], job.finished_at or timezone.now()
    job.save(update_fields=["state", "state_reason", "finished_at"])
    job_log(job, f"output declined: {reason}", "warning")
    audit_record(actor=by, action="job.declined", obj=job, data={"output": str(output.pk), "reason": reason})
