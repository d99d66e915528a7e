"""Writing jobs: submit (gated), claim, progress, finish, fail, stop on revocation, cancel, requeue.

Worker-side services take the job id and the claim `attempt` they hold: a worker whose claim was taken over
(its heartbeat went silent and the job was queued again) can no longer change the job.
"""
from __future__ import annotations

import datetime as dt
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from likeness.access import predicates, scope
from likeness.audit.services import audit_record
from likeness.celery import GPU_QUEUE
from likeness.celery import app as celery_app
from likeness.common import uploads
from likeness.common.hashing import sha256_stream
from likeness.jobs.gating import job_decide, preview_decide
from likeness.jobs.models import (
    PREVIEW_LIVE_STATES,
    TERMINAL_STATES,
    Job,
    JobKind,
    JobLogLine,
    JobState,
    LikenessModel,
    ModelStatus,
    PreviewSession,
    PreviewSource,
    PreviewState,
)
from likeness.people.models import Performer, ReferenceMaterial
from likeness.policy.models import Decision, DecisionPurpose
from likeness.productions.models import Production

if TYPE_CHECKING:
    from django.core.files.storage import Storage

    from likeness.provenance.services import StoredRender

log = logging.getLogger(__name__)
MODEL_SIZES = ("tiny", "preview", "final")
# The engine tasks (likeness/jobs/tasks.py), sent by name.
RUN_JOB_TASK, RUN_PREVIEW_TASK = "likeness.jobs.tasks.run_job", "likeness.jobs.tasks.run_preview_session"


def _enqueue(job: Job) -> None:
    """Send the job to the GPU queue once the transaction that queued it has committed. By the task's name, not
    by importing it: the task module loads the engine, which the web process that submits jobs never imports."""
    job_id = str(job.pk)
    transaction.on_commit(lambda: celery_app.send_task(RUN_JOB_TASK, args=[job_id], queue=GPU_QUEUE))


def _require_studio_vfx(user: AbstractBaseUser, production: Production) -> None:
    predicates.require(predicates.may_request_jobs(user, production),
                       "only VFX staff of the production's studio may request jobs for it")


def _require_usable(user: AbstractBaseUser, *, performer: Performer, likeness_model: LikenessModel | None = None,
                    reference_materials: list[ReferenceMaterial] | None = None) -> None:
    """Inputs come from what the user may act on, never from what they may merely read (an audit engagement):
    anything else is refused as if it did not exist, before anything is written."""
    errors: dict[str, list[str]] = {}
    if not scope.performers_usable_by(user).filter(pk=performer.pk).exists():
        errors["performer"] = ["no performer with this id that you may act for"]
    if likeness_model is not None and not scope.models_usable_by(user).filter(pk=likeness_model.pk).exists():
        errors["likeness_model"] = ["no model with this id among your studio's models"]
    if reference_materials:
        usable = set(scope.reference_materials_usable_by(user).filter(pk__in=[m.pk for m in reference_materials])
                     .values_list("pk", flat=True))
        if any(m.pk not in usable for m in reference_materials):
            errors["reference_materials"] = ["no reference material with this id that you may use"]
    if errors:
        raise ValidationError(errors)


def job_log(job: Job | str, message: str, level: str = "info") -> None:
    JobLogLine.objects.create(job_id=getattr(job, "pk", job), message=message[:2000], level=level)


def _gate_submission(job: Job, by: AbstractBaseUser) -> Job:
    decision = job_decide(job=job, purpose=DecisionPurpose.SUBMIT, by=by)
    job.submit_decision = decision
    if decision.allowed:
        job.state, job.queued_at = JobState.QUEUED, timezone.now()
        job.save(update_fields=["submit_decision", "state", "queued_at"])
        job_log(job, f"allowed by the gate ({decision.outcome}); queued")
        _enqueue(job)
    else:
        job.state, job.state_reason, job.finished_at = JobState.DENIED, decision.explanation, timezone.now()
        job.save(update_fields=["submit_decision", "state", "state_reason", "finished_at"])
        job_log(job, decision.explanation, "warning")
    audit_record(actor=by, action=f"job.{job.state}", obj=job,
                 data={"kind": job.kind, "decision": str(decision.pk), "outcome": decision.outcome})
    return job


@transaction.atomic
def job_submit_training(*, performer: Performer, production: Production, reference_materials: list[ReferenceMaterial],
                        by: AbstractBaseUser, size: str = "preview", steps: int | None = None) -> Job:
    _require_studio_vfx(by, production)
    _require_usable(by, performer=performer, reference_materials=reference_materials)
    errors: dict[str, list[str]] = {}
    if not reference_materials:
        errors["reference_materials"] = ["choose at least one piece of reference material"]
    foreign = [m.title for m in reference_materials if m.performer_id != performer.pk]
    if foreign:
        errors["reference_materials"] = [f"not footage of {performer}: {', '.join(foreign)}"]
    missing = [m.title for m in reference_materials if not m.file]
    if missing:
        errors.setdefault("reference_materials", []).append(f"no file uploaded for: {', '.join(missing)}")
    if size not in MODEL_SIZES:
        errors["size"] = [f"choose one of {', '.join(MODEL_SIZES)}"]
    if steps is not None and not 1 <= steps <= 200_000:
        errors["steps"] = ["must be between 1 and 200000"]
    if errors:
        raise ValidationError(errors)
    job = Job.objects.create(kind=JobKind.TRAINING, performer=performer, production=production, requested_by=by,
                             params={"size": size, "steps": steps or settings.ENGINE_TRAIN_STEPS.get(size, 1500)})
    job.reference_materials.set(reference_materials)
    audit_record(actor=by, action="job.submitted", obj=job,
                 data={"kind": job.kind, "params": job.params,
                       "reference_sha256": [m.sha256 for m in reference_materials]})
    return _gate_submission(job, by)


def _probe_plate(path: Path) -> Any:
    from engine.errors import EngineError  # torch-free modules: safe in the web process
    from engine.media import probe

    try:
        info = probe(str(path))
    except EngineError as exc:
        raise ValidationError({"plate": [f"not a readable video: {exc}"]}) from exc
    if info.frame_count <= 0:
        raise ValidationError({"plate": ["the video has no frames"]})
    return info


@transaction.atomic
def job_submit_aging(*, performer: Performer, production: Production, likeness_model: LikenessModel,
                     plate: BinaryIO, plate_name: str, target_age: float, by: AbstractBaseUser,
                     frame_start: int = 0, frame_end: int | None = None, use_description: str = "") -> Job:
    """Validate everything that can be known now (400 on bad input), store the plate, then ask the gate.

    `use_description` is the planned use of the shot (the spot an advertisement will run as): the Commercials
    agreement forbids any use outside the description the performer was given, so the gate compares the two."""
    _require_studio_vfx(by, production)
    _require_usable(by, performer=performer, likeness_model=likeness_model)
    errors: dict[str, list[str]] = {}
    if likeness_model.performer_id != performer.pk:
        errors["likeness_model"] = [f"this model is of another performer, not {performer}"]
    elif likeness_model.status != ModelStatus.READY:
        errors["likeness_model"] = [f"the model is {likeness_model.status}: only a ready model may be used"
                                    + (f" ({likeness_model.quarantine_reason})" if likeness_model.quarantine_reason
                                       else "")]
    if not 0 <= target_age <= 120:
        errors["target_age"] = ["must be between 0 and 120"]
    if frame_start < 0 or (frame_end is not None and frame_end <= frame_start):
        errors["frame_end"] = [f"the frame range {frame_start}-{frame_end} is empty or inverted"]
    if errors:
        raise ValidationError(errors)
    size = plate.seek(0, 2) if hasattr(plate, "seek") else None
    if size is not None and size > settings.PLATE_UPLOAD_MAX_BYTES:
        raise ValidationError({"plate": [f"the file is {size / 1e9:.1f} GB; the limit is "
                                         f"{settings.PLATE_UPLOAD_MAX_BYTES / 1e9:.1f} GB"]})
    # The stored plate's suffix comes from its content: the engine picks its reader by suffix.
    suffix = uploads.SUFFIXES[uploads.require_type(plate, field="plate", allowed=uploads.VIDEOS)]
    # Removed on every path (the context manager), in the upload temp folder the operator sized for files.
    with tempfile.NamedTemporaryFile(suffix=suffix, dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
        plate.seek(0)
        try:
            for chunk in iter(lambda: plate.read(1024 * 1024), b""):
                tmp.write(chunk)
            tmp.flush()
        except OSError as exc:
            if uploads.is_disk_full(exc):
                raise ValidationError({"plate": [uploads.STORAGE_FULL]}) from exc
            raise
        info = _probe_plate(Path(tmp.name))
        # Header figures (probe decodes nothing): a 30000 x 30000 plate is refused before any frame is decoded.
        why = uploads.pixel_refusal(uploads.Pictures(info.width, info.height, info.frame_count), video=True)
        if why:
            raise ValidationError({"plate": [f"refused before decoding: {why}"]})
        stop = info.frame_count if frame_end is None else frame_end
        if frame_start >= info.frame_count or stop > info.frame_count:
            raise ValidationError({"frame_end": [f"the plate has {info.frame_count} frames (0-{info.frame_count}); "
                                                 f"{frame_start}-{stop} requested"]})
        job = Job(kind=JobKind.AGING, performer=performer, production=production, requested_by=by,
                  likeness_model=likeness_model,
                  params={"target_age": float(target_age), "frame_start": frame_start, "frame_end": stop,
                          "frames": stop - frame_start, "fps": float(info.fps), "width": info.width,
                          "height": info.height,
                          **({"use_description": use_description.strip()} if use_description.strip() else {})})
        with open(tmp.name, "rb") as handle:
            job.plate_sha256 = sha256_stream(handle)
            uploads.save_to_field(job.plate, f"{job.pk}{suffix}", File(handle, name=f"{job.pk}{suffix}"),
                                  field="plate")
    try:
        job.save()
        audit_record(actor=by, action="job.submitted", obj=job,
                     data={"kind": job.kind, "params": job.params, "plate_sha256": job.plate_sha256,
                           "model": str(likeness_model.pk)})
        return _gate_submission(job, by)
    except Exception:
        job.plate.delete(save=False)  # nothing half-written: the stored plate goes with the failed submission
        raise


@transaction.atomic
def job_cancel(*, job: Job, by: AbstractBaseUser, reason: str = "") -> Job:
    job = Job.objects.select_for_update(no_key=True).get(pk=job.pk)
    predicates.require(predicates.may_cancel_job(by, job), "only VFX staff of the production's studio may cancel "
                                                           "this job")
    if job.state in TERMINAL_STATES or job.state in (JobState.RENDERED, JobState.AWAITING_APPROVAL):
        raise ValidationError({"state": [f"the job is {job.state}; it can no longer be cancelled"]})
    job.state, job.state_reason, job.finished_at = JobState.CANCELLED, reason or "cancelled by the requester", timezone.now()
    job.save(update_fields=["state", "state_reason", "finished_at"])
    job_log(job, f"cancelled by {by.get_username()}: {job.state_reason}")
    audit_record(actor=by, action="job.cancelled", obj=job, data={"reason": job.state_reason})
    return job


# ----- worker side --------------------------------------------------------------------------------------------

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
        _discard_files(job_id, [f.name for f in stored], stored[0].storage)
        raise
    if not recorded:
        _discard_files(job_id, [f.name for f in stored], stored[0].storage)
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
        except Exception:
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
    except Exception:
        log.warning("job %s: could not delete the unrecorded render %s", job_id, stored.name, exc_info=True)


@transaction.atomic
def _record_aging(*, job_id: str, attempt: int, stored: StoredRender, engine_seconds: float, stats: dict[str, Any]) -> bool:
    from likeness.provenance.services import output_register

    job = (Job.objects.select_for_update(no_key=True, of=("self",))
           .select_related("likeness_model", "performer", "production").get(pk=job_id))
    if job.state != JobState.RUNNING or job.attempt != attempt:
        return False
    _lock_decision_grants(job.submit_decision)
    decision = job_decide(job=job, purpose=DecisionPurpose.CHUNK, by=None)
    if not decision.allowed:
        job_stop(job_id=job_id, attempt=attempt, state=JobState.REVOKED, reason=decision.explanation, decision=decision)
        return False
    model = job.likeness_model
    output = output_register(
        job_ref=str(job.pk), decision=decision, performer=job.performer, production=job.production,
        stored=stored, mime=stored.mime, by=None, likeness_model_id=str(model.pk),
        likeness_model_weights_sha256=model.weights_sha256, dataset_manifest_sha256=model.dataset_manifest_sha256,
        reference_titles=list(model.reference_materials.values_list("title", flat=True)),
        engine_version=model.engine_version,
        parameters={"target_age": job.params["target_age"], "frame_start": job.params["frame_start"],
                    "frame_end": job.params["frame_end"], "model_size": model.size},
        source_sha256=job.plate_sha256, source_plate=job.plate.name, source_plate_mime=_plate_mime(job.plate.name),
        fingerprint_now=False)
    from likeness.provenance.tasks import output_fingerprint_task

    output_id = str(output.pk)
    transaction.on_commit(lambda: output_fingerprint_task.apply_async(args=[output_id], queue="default"))
    Job.objects.filter(pk=job_id).update(state=JobState.AWAITING_APPROVAL, output=output, finished_at=timezone.now(),
                                         stage="done", engine_seconds=engine_seconds, eta_seconds=0,
                                         params={**job.params, "result": stats})
    job_log(job_id, f"rendered {stats.get('frames_total')} frames ({stats.get('frames_passed_through')} without a "
                    f"face passed through); output {output.pk} awaits approval")
    audit_record(actor=None, action="job.rendered", object_type="jobs.job", object_id=job_id,
                 data={"output": str(output.pk), "sha256": output.sha256, "decision": str(decision.pk)})
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
            job_log(job.pk, reason, "warning")
            audit_record(actor=None, action="job.requeued", obj=job, data={"attempt": job.attempt, "reason": reason})
            _enqueue(job)
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


def job_release(*, job: Job, by: AbstractBaseUser) -> Job:
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


# ----- live preview sessions ------------------------------------------------------------------------------------

def _enqueue_preview(session: PreviewSession) -> None:
    session_id = str(session.pk)
    transaction.on_commit(lambda: celery_app.send_task(RUN_PREVIEW_TASK, args=[session_id], queue=GPU_QUEUE))


@transaction.atomic
def preview_session_start(*, performer: Performer, production: Production, likeness_model: LikenessModel,
                          source_kind: str, target_age: float, by: AbstractBaseUser,
                          reference_material: ReferenceMaterial | None = None, plate_job: Job | None = None,
                          camera_index: int | None = None, loop: bool = True, max_seconds: int = 600) -> PreviewSession:
    """Ask the gate for a live preview (use realtime_preview, on the set's monitors); on allow, queue it for a GPU
    worker. A denied request is kept, with its Decision, so the page can say why."""
    _require_studio_vfx(by, production)
    _require_usable(by, performer=performer, likeness_model=likeness_model,
                    reference_materials=[reference_material] if reference_material is not None else None)
    errors: dict[str, list[str]] = {}
    if likeness_model.performer_id != performer.pk:
        errors["likeness_model"] = [f"this model is of another performer, not {performer}"]
    elif likeness_model.status != ModelStatus.READY:
        errors["likeness_model"] = [f"the model is {likeness_model.status}: only a ready model may be used"]
    if not 0 <= target_age <= 120:
        errors["target_age"] = ["must be between 0 and 120"]
    if not 1 <= max_seconds <= 4 * 3600:
        errors["max_seconds"] = ["must be between 1 second and 4 hours"]
    if source_kind == PreviewSource.REFERENCE:
        if reference_material is None or reference_material.performer_id != performer.pk:
            errors["reference_material"] = [f"choose a reference video of {performer}"]
        elif not reference_material.file:
            errors["reference_material"] = [f"no file was uploaded for {reference_material.title}"]
    elif source_kind == PreviewSource.PLATE:
        if plate_job is None or plate_job.performer_id != performer.pk or not plate_job.plate:
            errors["plate_job"] = [f"choose an aging job with a plate of {performer}"]
        elif plate_job.production.studio_id != production.studio_id:
            errors["plate_job"] = ["that plate belongs to another studio's production"]
    elif source_kind == PreviewSource.CAMERA:
        if camera_index is None or not 0 <= camera_index <= 15:
            errors["camera_index"] = ["give the worker's camera number (0-15)"]
    else:
        errors["source_kind"] = [f"choose one of {', '.join(PreviewSource.values)}"]
    if errors:
        raise ValidationError(errors)
    session = PreviewSession(
        performer=performer, production=production, likeness_model=likeness_model, requested_by=by,
        source_kind=source_kind, target_age=float(target_age), loop=loop, max_seconds=max_seconds,
        reference_material=reference_material if source_kind == PreviewSource.REFERENCE else None,
        plate_job=plate_job if source_kind == PreviewSource.PLATE else None,
        camera_index=camera_index if source_kind == PreviewSource.CAMERA else None)
    decision = preview_decide(session=session, purpose=DecisionPurpose.SUBMIT, by=by)
    session.decision = decision
    if decision.allowed:
        session.state = PreviewState.QUEUED
    else:
        session.state, session.state_reason, session.finished_at = PreviewState.DENIED, decision.explanation, timezone.now()
    session.save()
    session.decisions.add(decision)
    audit_record(actor=by, action=f"preview.{session.state}", obj=session,
                 data={"model": str(likeness_model.pk), "target_age": session.target_age, "source": source_kind,
                       "decision": str(decision.pk), "outcome": decision.outcome})
    if decision.allowed:
        _enqueue_preview(session)
    return session


@transaction.atomic
def preview_session_stop(*, session: PreviewSession, by: AbstractBaseUser, reason: str = "") -> PreviewSession:
    predicates.require(predicates.may_stop_preview(by, session),
                       "only VFX staff of the production's studio may stop this preview")
    reason = reason or f"stopped by {by.get_username()}"
    stopped = PreviewSession.objects.filter(pk=session.pk, state__in=PREVIEW_LIVE_STATES).update(
        state=PreviewState.STOPPED, state_reason=reason, finished_at=timezone.now())
    if stopped:
        audit_record(actor=by, action="preview.stopped", obj=session, data={"reason": reason})
    session.refresh_from_db()
    return session


def preview_session_claim(*, session_id: str, worker: str) -> PreviewSession | None:
    """Take a queued preview (conditional UPDATE: a second delivery of the task finds nothing to take)."""
    now = timezone.now()
    with transaction.atomic():
        taken = PreviewSession.objects.filter(pk=session_id, state=PreviewState.QUEUED).update(
            state=PreviewState.RUNNING, worker=worker[:200], started_at=now, heartbeat_at=now)
        if not taken:
            return None
        session = PreviewSession.objects.select_related(
            "performer", "production", "likeness_model", "reference_material", "plate_job").get(pk=session_id)
        audit_record(actor=None, action="preview.running", obj=session, data={"worker": worker})
    return session


def preview_session_report(*, session_id: str, frames: int, frames_with_face: int, fps: float | None,
                           latency_ms: dict[str, dict[str, float]]) -> str:
    """The worker's figures, about once a second; returns the session's state (a person may have stopped it)."""
    PreviewSession.objects.filter(pk=session_id, state=PreviewState.RUNNING).update(
        frames=frames, frames_with_face=frames_with_face, fps=fps, latency_ms=latency_ms, heartbeat_at=timezone.now())
    return PreviewSession.objects.filter(pk=session_id).values_list("state", flat=True).first() or ""


def previews_end_stale(*, now: dt.datetime | None = None) -> list[str]:
    """Previews whose worker stopped reporting (it died) end as failed: a live preview is never replayed, the
    person on set starts a new one."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    ended = []
    for session_id, worker in PreviewSession.objects.filter(state=PreviewState.RUNNING, heartbeat_at__lt=cutoff) \
            .values_list("pk", "worker"):
        reason = f"worker {worker} went silent (no report since {cutoff:%H:%M:%S}); start the preview again"
        if preview_session_end(session_id=str(session_id), state=PreviewState.FAILED, reason=reason):
            ended.append(str(session_id))
    return ended


@transaction.atomic
def preview_session_end(*, session_id: str, state: str, reason: str, decision: Decision | None = None) -> bool:
    """End a running preview as finished, revoked or failed (only if it is still running)."""
    ended = PreviewSession.objects.filter(pk=session_id, state=PreviewState.RUNNING).update(
        state=state, state_reason=reason[:4000], finished_at=timezone.now())
    if ended:
        audit_record(actor=None, action=f"preview.{state}", object_type="jobs.previewsession", object_id=session_id,
                     data={"reason": reason, "decision": str(decision.pk) if decision is not None else None})
    return bool(ended)
