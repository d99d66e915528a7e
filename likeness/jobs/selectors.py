"""Reading jobs and models: who sees which."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from likeness.consent.models import ConsentGrant
from likeness.jobs.models import MODEL_STATES, Job, JobState, LikenessModel, ModelStatus


# What a grant's withdrawal (revocation or expiry) touches. The receivers act on exactly these rows, and the
# revocation page previews them from the same functions, so the preview cannot drift from what happens.
def jobs_under_grant(grant: ConsentGrant) -> QuerySet[Job]:
    ids = Job.objects.filter(Q(submit_decision__grants=grant) | Q(likeness_model__grant=grant)).values("pk")
    return Job.objects.filter(pk__in=ids)  # ids first: PostgreSQL refuses FOR UPDATE with DISTINCT


def jobs_cancelled_by_withdrawal(grant: ConsentGrant) -> QuerySet[Job]:
    """Jobs not yet started: cancelled in the revoking transaction. (A submitted job is gated in the transaction
    that created it: no other transaction sees it submitted.)"""
    return jobs_under_grant(grant).filter(state=JobState.QUEUED)


def jobs_stopped_by_withdrawal(grant: ConsentGrant) -> QuerySet[Job]:
    """Running jobs: they stop at their next consent check, within one chunk of frames."""
    return jobs_under_grant(grant).filter(state=JobState.RUNNING)


def jobs_withdrawn_by_withdrawal(grant: ConsentGrant) -> QuerySet[Job]:
    """Rendered jobs whose output awaits approval or release under the grant's family: the output is withdrawn
    (provenance's listener), and the job ends with it."""
    return Job.objects.filter(state=JobState.AWAITING_APPROVAL, output__grant__family=grant.family)


def models_quarantined_by_withdrawal(grant: ConsentGrant) -> QuerySet[LikenessModel]:
    return LikenessModel.objects.filter(grant=grant, status__in=MODEL_STATES.sources(ModelStatus.QUARANTINED))
