"""The worker side of a job: claim it, keep the claim alive, report progress, record the result (or give the job
back, or end it), and the sweep that requeues the jobs of dead workers. Every write is fenced by the claim
attempt: a worker that lost its claim changes nothing."""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from likeness.audit.services import audit_record
from likeness.jobs.gating import job_decide
from likeness.jobs.logbook import job_log
from likeness.jobs.models import JOB_STATES, Job, JobState, LikenessModel, ModelStatus
from likeness.jobs.queueing import enqueue_job
from likeness.policy.models import Decision, DecisionPurpose

if TYPE_CHECKING:
    from django.core.files.storage import Storage

    from likeness.provenance.services import StoredRender

log = logging.getLogger(__name__)


def job_claim(*, job_id: str, worker: str) -> Job | None:
    """Take a queued job (conditional UPDATE: of two workers, one wins). Returns None when not claimable.

    Every claim is an attempt, whichever way the task arrived (first delivery, the broker re-delivering it, a
    retry, a requeue by the stale sweep): a queued job already started JOB_MAX_ATTEMPTS times fails instead."""
    now = timezone.now()
    limit = settings.JOB_MAX_ATTEMPTS
    with transaction.atomic():
        taken = Job.objects.filter(pk=job_id, state=JobState.QUEUED, attempt__lt=limit).update(
            state=JobState.RUNNING, attempt=F("attempt") + 1, worker=worker[:200], heartbeat_at=now,
            started_at=now, stage="starting")
        if not taken:
            _fail_exhausted_queued(job_id, limit)
            return None
        job = Job.objects.select_related("performer", "production", "likeness_model").get(pk=job_id)
        job_log(job, f"claimed by {worker} (attempt {job.attempt})")
        audit_record(actor=None, action="job.claimed", obj=job, data={"worker": worker, "attempt": job.attempt})
    return job


def _fail_exhausted_queued(job_id: str, limit: int) -> None:
    """A queued job that has used all its attempts (queued again by its own worker, e.g. after a database
    error, or by an older release without the limit) fails here rather than starting once more."""
    job = Job.objects.filter(pk=job_id, state=JobState.QUEUED, attempt__gte=limit).only("pk", "attempt").first()
    if job is None:
        return
    reason = (f"not started again: it was started {job.attempt} times without finishing, the limit "
              f"(LIKENESS_JOB_MAX_ATTEMPTS={limit})")
    failed = Job.objects.filter(pk=job_id, state=JobState.QUEUED, attempt=job.attempt).update(
        state=JobState.FAILED, state_reason=reason, finished_at=timezone.now(), stage="stopped")
    if failed:
        job_log(job_id, f"failed: {reason}", "error")
        audit_record(actor=None, action="job.failed", object_type="jobs.job", object_id=job_id,
                     data={"reason": reason, "attempt": job.attempt, "max_attempts": limit})


def _owned(job_id: str, attempt: int) -> Q:
    return Q(pk=job_id, state=JobState.RUNNING, attempt=attempt)


def job_heartbeat(*, job_id: str, attempt: int) -> bool:
    return bool(Job.objects.filter(_owned(job_id, attempt)).update(heartbeat_at=timezone.now()))


def job_progress(*, job_id: str, attempt: int, stage: str, done: int, total: int, eta: float | None) -> bool:
    return bool(Job.objects.filter(_owned(job_id, attempt)).update(
        stage=stage[:32], progress_done=max(0, done), progress_total=max(0, total), eta_seconds=eta,
        heartbeat_at=timezone.now()))


def job_unclaim(*, job_id: str, attempt: int, reason: str) -> bool:
    """Give a claimed job back to the queue (the worker's task will retry it); on its last attempt it fails."""
    limit = settings.JOB_MAX_ATTEMPTS
    if attempt >= limit:
        return job_stop(job_id=job_id, attempt=attempt, state=JobState.FAILED,
                        reason=f"attempt {attempt} of {limit} (LIKENESS_JOB_MAX_ATTEMPTS) ended: {reason}")
    released = Job.objects.filter(_owned(job_id, attempt)).update(state=JobState.QUEUED, stage="requeued")
    if released:
        job_log(job_id, f"released by its worker: {reason}", "warning")
    return bool(released)


def job_still_owned(*, job_id: str, attempt: int) -> bool:
    return Job.objects.filter(_owned(job_id, attempt)).exists()


def job_stop(*, job_id: str, attempt: int, state: str, reason: str, decision: Decision | None = None) -> bool:
    """End a running job as failed, revoked or cancelled (fenced by the claim attempt)."""
    return _end_running(_owned(job_id, attempt), job_id=job_id, attempt=attempt, state=state, reason=reason,
                        data={"decision": str(decision.pk) if decision is not None else None})


@transaction.atomic
def _end_running(owned: Q, *, job_id: str, attempt: int, state: str, reason: str, data: dict[str, Any]) -> bool:
    JOB_STATES.require(JobState.RUNNING, state)
    stopped = Job.objects.filter(owned).update(state=state, state_reason=reason[:4000], finished_at=timezone.now(),
                                               stage="stopped")
    if stopped:
        job = Job.objects.get(pk=job_id)
        if job.trained_model_id:
            LikenessModel.objects.filter(pk=job.trained_model_id, status=ModelStatus.TRAINING).update(
                status=ModelStatus.FAILED)
        job_log(job_id, f"{state}: {reason}", "error" if state == JobState.FAILED else "warning")
        audit_record(actor=None, action=f"job.{state}", object_type="jobs.job", object_id=job_id,
                     data={"reason": reason, "attempt": attempt, **data})
    return bool(stopped)


@transaction.atomic
def job_start_training_model(*, job: Job, decision: Decision) -> LikenessModel:
    """The model record exists from the moment training starts, with the consent it is trained under."""
    grant = decision.grants.order_by("-version").first()
    if grant is None:
        raise ValueError(f"decision {decision.pk} allowed training {job.pk} under no grant")
    if job.trained_model_id:  # an earlier attempt's worker died mid-training: its model never became ready
        LikenessModel.objects.filter(pk=job.trained_model_id, status=ModelStatus.TRAINING).update(
            status=ModelStatus.FAILED, quarantine_reason=f"training attempt abandoned; retried as attempt {job.attempt}")
    model = LikenessModel.objects.create(
        performer=job.performer, size=job.params["size"], grant=grant, decision=decision,
        reference_sha256=[m.sha256 for m in job.reference_materials.all()])
    model.reference_materials.set(job.reference_materials.all())
    Job.objects.filter(pk=job.pk).update(trained_model=model)
    job.trained_model = model
    audit_record(actor=None, action="model.training", obj=model,
                 data={"job": str(job.pk), "grant": grant.pk if grant else None, "decision": str(decision.pk)})
    return model


def _lock_decision_grants(decision: Decision) -> None:
    # Revocation locks the grant row too: the final check and a revocation cannot interleave. Every lock here
    # is FOR NO KEY UPDATE: it still serialises writers, but not the foreign-key checks PostgreSQL runs at
    # commit for rows that merely reference the grant (decisions, outputs), which FOR UPDATE would block.
    from likeness.consent.models import ConsentGrant

    list(ConsentGrant.objects.select_for_update(no_key=True).filter(pk__in=decision.grants.values("pk")))


# The finishing services copy files into storage first, outside any transaction, then record the result in one
# short transaction. Copying a checkpoint or a render (to S3, or a slow shared volume) can take seconds or hang;
# inside a transaction it would hold the job's and the grants' row locks all that time, and on SQLite the
# database's only write lock, stopping every other writer (the web process included). A file stored for a result
# that is then refused (claim lost, consent ended) is deleted again.


def job_finish_training(*, job_id: str, attempt: int, checkpoint: Path, meta: dict[str, Any],
                        engine_seconds: float, figures: dict[str, Path] | None = None,
                        loss_history: dict[str, list[float]] | None = None) -> bool:
    from likeness.jobs.storage import store_local_file

    job = Job.objects.select_related("trained_model").get(pk=job_id)
    if job.state != JobState.RUNNING or job.attempt != attempt or job.trained_model is None:
        return False
    staged = job.trained_model  # receives the stored files' names; the record is written from a fresh copy
    weights_sha256 = store_local_file(staged.checkpoint, checkpoint, f"{staged.pk}.safetensors")
    stored = [staged.checkpoint]
    try:
        for name, path in (figures or {}).items():  # loss_curves / age_sweep PNGs the worker drew
            if name in ("loss_curves", "age_sweep") and Path(path).is_file():
                store_local_file(getattr(staged, name), Path(path), f"{staged.pk}-{name}.png")
                stored.append(getattr(staged, name))
        recorded = _record_training(job_id=job_id, attempt=attempt, staged=staged, weights_sha256=weights_sha256,
                                    meta=meta, engine_seconds=engine_seconds, loss_history=loss_history)
    except BaseException:
        _discard_files(job_id, [f.name for f in stored if f.name], stored[0].storage)
        raise
    if not recorded:
        _discard_files(job_id, [f.name for f in stored if f.name], stored[0].storage)
    return recorded


@transaction.atomic
def _record_training(*, job_id: str, attempt: int, staged: LikenessModel, weights_sha256: str, meta: dict[str, Any],
                     engine_seconds: float, loss_history: dict[str, list[float]] | None) -> bool:
    job = Job.objects.select_for_update(no_key=True, of=("self",)).get(pk=job_id)
    if job.state != JobState.RUNNING or job.attempt != attempt or job.trained_model_id != staged.pk:
        return False
    _lock_decision_grants(staged.decision)
    decision = job_decide(job=job, purpose=DecisionPurpose.CHUNK, by=None)
    if not decision.allowed:
        job_stop(job_id=job_id, attempt=attempt, state=JobState.REVOKED, reason=decision.explanation, decision=decision)
        return False
    model = LikenessModel.objects.get(pk=staged.pk)
    model.checkpoint.name, model.weights_sha256 = staged.checkpoint.name, weights_sha256
    model.loss_curves.name, model.age_sweep.name = staged.loss_curves.name, staged.age_sweep.name
    model.loss_history = thin_history(loss_history or {})
    model.dataset_manifest_sha256 = meta["dataset_manifest_sha256"]
    model.training_steps, model.age_range = meta["steps"], list(meta["age_range"])
    model.target_ages = [float(a) for a in meta.get("target_ages") or []]
    model.reference_balance = meta.get("reference_balance") or {}
    model.engine_version, model.status, model.ready_at = meta["engine_version"], ModelStatus.READY, timezone.now()
    model.save()
    Job.objects.filter(pk=job_id).update(state=JobState.COMPLETED, finished_at=timezone.now(), stage="done",
                                         engine_seconds=engine_seconds, eta_seconds=0)
    job_log(job_id, f"model {model.pk} ready (weights {model.weights_sha256[:12]}...)")
    audit_record(actor=None, action="model.ready", obj=model,
                 data={"weights_sha256": model.weights_sha256, "dataset_manifest_sha256": model.dataset_manifest_sha256,
                       "job": job_id})
    return True


def _discard_files(job_id: str, names: list[str], storage: Storage) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # a leftover file is logged; the job's outcome stands
            log.warning("job %s: could not delete the unrecorded file %s", job_id, name, exc_info=True)


def job_finish_aging(*, job_id: str, attempt: int, rendered: Path, mime: str, engine_seconds: float,
                     stats: dict[str, Any]) -> bool:
    """Record the rendered output: only if this worker still owns the job and the gate still allows it."""
    from likeness.provenance.services import output_file_store

    if not job_still_owned(job_id=job_id, attempt=attempt):
        return False
    stored = output_file_store(local_file=rendered, mime=mime)
    try:
        recorded = _record_aging(job_id=job_id, attempt=attempt, stored=stored, engine_seconds=engine_seconds,
                                 stats=stats)
    except BaseException:
        _discard_render(job_id, stored)
        raise
    if not recorded:
        _discard_render(job_id, stored)
    return recorded


def _discard_render(job_id: str, stored: StoredRender) -> None:
    from likeness.provenance.services import output_file_discard

    try:
        output_file_discard(stored)
    except Exception:  # a leftover file is logged; the job's outcome stands
        log.warning("job %s: could not delete the unrecorded render %s", job_id, stored.name, exc_info=True)


@transaction.atomic
def _record_aging(*, job_id: str, attempt: int, stored: StoredRender, engine_seconds: float, stats: dict[str, Any]) -> bool:
    from likeness.provenance.services import output_register

    job = (Job.objects.select_for_update(no_key=True, of=("self",))
           .select_related("likeness_model", "performer", "production").get(pk=job_id))
    if job.state != JobState.RUNNING or job.attempt != attempt:
        return False
    model = job.likeness_model
    if job.submit_decision is None or model is None:
        raise ValueError(f"aging job {job.pk} has no submit decision or no model: it was never submitted through "
                         "job_submit_aging")
    _lock_decision_grants(job.submit_decision)
    decision = job_decide(job=job, purpose=DecisionPurpose.CHUNK, by=None)
    if not decision.allowed:
        job_stop(job_id=job_id, attempt=attempt, state=JobState.REVOKED, reason=decision.explanation, decision=decision)
        return False
    output = output_register(
        job_ref=str(job.pk), decision=decision, performer=job.performer, production=job.production,
        stored=stored, mime=stored.mime, by=None, likeness_model_id=str(model.pk),
        likeness_model_weights_sha256=model.weights_sha256, dataset_manifest_sha256=model.dataset_manifest_sha256,
        reference_titles=list(model.reference_materials.values_list("title", flat=True)),
        engine_version=model.engine_version,
        parameters={"target_age": job.params["target_age"], "frame_start": job.params["frame_start"],
                    "frame_end": job.params["frame_end"], "model_size": model.size},
        source_sha256=job.plate_sha256, source_plate=job.plate.name or "",
        source_plate_mime=_plate_mime(job.plate.name or ""),
        fingerprint_now=False)
    from likeness.provenance.tasks import output_fingerprint_task

    output_id = str(output.pk)
    transaction.on_commit(lambda: output_fingerprint_task.apply_async(args=[output_id], queue="default"))
    Job.objects.filter(pk=job_id).update(state=JobState.AWAITING_APPROVAL, output=output, finished_at=timezone.now(),
                                         stage="done", engine_seconds=engine_seconds, eta_seconds=0,
                                         params={**job.params, "result": stats})
    job_log(job_id, f"rendered {stats.get('frames_total')} frames ({stats.get('frames_passed_through')} without the "
                    f"performer's face passed through, {stats.get('frames_not_performer', 0)} of them someone "
                    f"else's); output {output.pk} awaits approval")
    audit_record(actor=None, action="job.rendered", object_type="jobs.job", object_id=job_id,
                 data={"output": str(output.pk), "sha256": output.sha256, "decision": str(decision.pk),
                       "identity_distance": stats.get("identity_distance"),
                       "frames_not_performer": stats.get("frames_not_performer")})
    return True


def thin_history(history: dict[str, list[float]], points: int = 200) -> dict[str, list[float]]:
    """Keep at most `points` evenly spaced values per loss series: enough for a curve, small in the database."""
    thinned = {}
    for name, values in history.items():
        values = [float(v) for v in values]
        step = max(1, -(-len(values) // points))
        thinned[str(name)] = values[::step]
    return thinned


def _plate_mime(name: str) -> str:
    return {".mov": "video/quicktime", ".mp4": "video/mp4", ".m4v": "video/mp4"}.get(Path(name).suffix.lower(),
                                                                                     "video/mp4")


def jobs_requeue_stale(*, now: dt.datetime | None = None) -> list[str]:
    """Jobs whose worker stopped sending heartbeats (it died) go back to the queue, unless that was their last
    attempt (JOB_MAX_ATTEMPTS): a job that kills or hangs every worker that takes it (a poison plate) would
    otherwise loop forever, so it fails, with the reason. Each job is one short transaction of its own."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    limit = settings.JOB_MAX_ATTEMPTS
    requeued = []
    for job in Job.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=cutoff).only(
            "pk", "attempt", "worker", "heartbeat_at"):
        if job.attempt >= limit:
            _fail_stale(job, cutoff=cutoff, limit=limit)
            continue
        with transaction.atomic():
            taken = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempt=job.attempt,
                                       heartbeat_at__lt=cutoff).update(state=JobState.QUEUED, stage="requeued",
                                                                       queued_at=now)
            if not taken:
                continue
            reason = f"worker {job.worker} went silent (no heartbeat since {cutoff:%H:%M:%S}); queued again"
            job_log(job, reason, "warning")
            audit_record(actor=None, action="job.requeued", obj=job, data={"attempt": job.attempt, "reason": reason})
            enqueue_job(job)
            requeued.append(str(job.pk))
    return requeued


def _fail_stale(job: Job, *, cutoff: dt.datetime, limit: int) -> bool:
    from likeness.audit.models import AuditEvent

    # Every earlier attempt that ended in silence was requeued by this sweep, with an audit event.
    silences = 1 + AuditEvent.objects.filter(action="job.requeued", object_type="jobs.job",
                                             object_id=str(job.pk)).count()
    last = f"{job.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC" if job.heartbeat_at else "its start"
    attempts = f"{job.attempt} attempt{'' if job.attempt == 1 else 's'}"
    reason = (f"failed after {attempts}, the limit (LIKENESS_JOB_MAX_ATTEMPTS={limit}): its worker "
              f"stopped responding {silences} {'time' if silences == 1 else 'times'}; the last, {job.worker}, "
              f"at {last}. A job that keeps stopping its worker (e.g. a plate or model that crashes the engine) "
              "is not queued again: see the worker's log, then submit it again")
    return _end_running(_owned(str(job.pk), job.attempt) & Q(heartbeat_at__lt=cutoff), job_id=str(job.pk),
                        attempt=job.attempt, state=JobState.FAILED, reason=reason,
                        data={"max_attempts": limit, "worker": job.worker, "silences": silences,
                              "last_heartbeat": job.heartbeat_at})
