"""Releasing a rendered output: the gate is asked again, the output is signed, the job is released."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from likeness.access import predicates
from likeness.audit.services import audit_record
from likeness.jobs.gating import job_decide
from likeness.jobs.logbook import job_log
from likeness.jobs.models import Job, JobState
from likeness.policy.models import DecisionPurpose


def job_release(*, job: Job, by: User) -> Job:
    """Sign and release an approved output: the gate is asked again, now, and must still allow the use.

    Not one transaction: signing a large file must not hold database locks, and a refused release keeps its
    audit event. The provenance service records the release; the job follows with a conditional update.
    """
    from likeness.provenance.services import output_sign_and_release

    job = Job.objects.select_related("output", "production", "performer").get(pk=job.pk)
    predicates.require(predicates.may_release_job(by, job),
                       "only VFX staff, legal or admins of the production's studio release its outputs")
    if job.state != JobState.AWAITING_APPROVAL or job.output is None:
        raise ValidationError({"state": [f"the job is {job.state}; only a rendered output awaiting release can be "
                                         "released"]})
    output = output_sign_and_release(output=job.output, by=by,
                                     regate=lambda: job_decide(job=job, purpose=DecisionPurpose.RELEASE, by=by))
    with transaction.atomic():
        Job.objects.filter(pk=job.pk, state=JobState.AWAITING_APPROVAL).update(state=JobState.RELEASED,
                                                                               finished_at=timezone.now())
        job_log(job, f"released: signed output {output.sha256[:12]}... ({output.manifest_label})")
        audit_record(actor=by, action="job.released", obj=job, data={"output": str(output.pk),
                                                                      "sha256": output.sha256})
    job.refresh_from_db()
    return job
