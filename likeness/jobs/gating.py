"""The gate requests a job makes: at submit, when a worker claims it, between chunks, and before its output
is recorded. The request is rebuilt from the job each time, so a revocation or a strike flag set since the
last check is seen at the next one."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.utils import timezone

from likeness.common import vocabulary as vocab
from likeness.jobs.models import Job, JobKind, LikenessModel, PreviewSession
from likeness.policy.facts import GateRequest, ModelFacts
from likeness.policy.models import Decision, DecisionPurpose
from likeness.policy.requests import gate_request_build
from likeness.policy.selectors import performer_facts
from likeness.policy.services import decision_make

# A model trained on a performer's earlier films and used on footage they recorded now is both a digital
# alteration of the new footage and an independently created replica (SAG-AFTRA TV/Theatrical 2023, AI
# provisions: each needs its own consent).
AGING_REPLICA_TYPES = [vocab.ReplicaType.DIGITAL_ALTERATION, vocab.ReplicaType.ICDR]
TRAINING_REPLICA_TYPES = [vocab.ReplicaType.ICDR]


def model_facts(model: LikenessModel) -> ModelFacts:
    return ModelFacts(id=str(model.pk), performer_id=str(model.performer_id), training_grant_id=str(model.grant_id),
                      status=model.status)


def aging_use(job: Job, at: dt.datetime) -> str:
    """De-aging when the target is younger than the performer is today, aging up otherwise."""
    current_age = performer_facts(job.performer).age_on(at.date())
    return vocab.Use.DE_AGING if job.params["target_age"] < current_age else vocab.Use.AGING_UP


def job_gate_request(job: Job, *, at: dt.datetime | None = None) -> GateRequest:
    at = at or timezone.now()
    if job.kind == JobKind.TRAINING:
        return gate_request_build(performer=job.performer, production=job.production, use=vocab.Use.TRAINING,
                                  at=at, replica_types=job.params.get("replica_types", TRAINING_REPLICA_TYPES))
    production = job.production
    return gate_request_build(
        performer=job.performer, production=production, use=aging_use(job, at), at=at,
        depicted_age=int(round(job.params["target_age"])), media=list(production.release_media),
        territories=list(production.release_territories), replica_types=AGING_REPLICA_TYPES,
        model=model_facts(job.likeness_model) if job.likeness_model is not None else None,
        use_description=job.params.get("use_description"),
    )


def job_decide(*, job: Job, purpose: str, by: User | None) -> Decision:
    # A re-check between chunks stores its facts only when they changed since the job's previous decision.
    after = job.decisions.order_by("-created_at").first() if purpose == DecisionPurpose.CHUNK else None
    decision = decision_make(request=job_gate_request(job), performer=job.performer, production=job.production,
                             purpose=purpose, by=by, after=after)
    job.decisions.add(decision)
    return decision


def preview_gate_request(session: PreviewSession, *, at: dt.datetime | None = None) -> GateRequest:
    """A live preview is use `realtime_preview`, shown only on the set's monitors (medium on_set_monitor), in the
    countries where the production films (its jurisdictions, e.g. US-CA -> US), at the target age."""
    production = session.production
    countries = sorted({str(j).split("-")[0] for j in production.jurisdictions or []})
    return gate_request_build(
        performer=session.performer, production=production, use=vocab.Use.REALTIME_PREVIEW, at=at or timezone.now(),
        depicted_age=int(round(session.target_age)), media=[vocab.Medium.ON_SET_MONITOR], territories=countries,
        replica_types=AGING_REPLICA_TYPES, model=model_facts(session.likeness_model),
    )


def preview_decide(*, session: PreviewSession, purpose: str, by: User | None) -> Decision:
    after = (session.decisions.order_by("-created_at").first()
             if purpose == DecisionPurpose.CHUNK and session.pk else None)
    decision = decision_make(request=preview_gate_request(session), performer=session.performer,
                             production=session.production, purpose=purpose, by=by, after=after)
    if session.pk and PreviewSession.objects.filter(pk=session.pk).exists():
        session.decisions.add(decision)
    return decision
