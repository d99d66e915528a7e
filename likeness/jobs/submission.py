"""Submitting and cancelling jobs (the web side): validate what can be known now, store the inputs, ask the
gate, queue the job for a GPU worker on allow."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from likeness.access import predicates
from likeness.audit.services import audit_record
from likeness.common import uploads
from likeness.common.hashing import sha256_stream
from likeness.jobs.checks import require_studio_vfx, require_usable
from likeness.jobs.gating import job_decide
from likeness.jobs.logbook import job_log
from likeness.jobs.models import JOB_STATES, Job, JobKind, JobState, LikenessModel, ModelStatus, OutputCodec
from likeness.jobs.queueing import enqueue_job
from likeness.people.models import Performer, ReferenceMaterial
from likeness.policy.models import DecisionPurpose
from likeness.productions.models import Production

MODEL_SIZES = ("tiny", "preview", "final")


def _gate_submission(job: Job, by: User) -> Job:
    decision = job_decide(job=job, purpose=DecisionPurpose.SUBMIT, by=by)
    job.submit_decision = decision
    if decision.allowed:
        job.state, job.queued_at = JobState.QUEUED, timezone.now()
        job.save(update_fields=["submit_decision", "state", "queued_at"])
        job_log(job, f"allowed by the gate ({decision.outcome}); queued")
        enqueue_job(job)
    else:
        job.state, job.state_reason, job.finished_at = JobState.DENIED, decision.explanation, timezone.now()
        job.save(update_fields=["submit_decision", "state", "state_reason", "finished_at"])
        job_log(job, decision.explanation, "warning")
    audit_record(actor=by, action=f"job.{job.state}", obj=job,
                 data={"kind": job.kind, "decision": str(decision.pk), "outcome": decision.outcome})
    return job


@transaction.atomic
def job_submit_training(*, performer: Performer, production: Production, reference_materials: list[ReferenceMaterial],
                        by: User, size: str = "preview", steps: int | None = None) -> Job:
    require_studio_vfx(by, production)
    require_usable(by, performer=performer, reference_materials=reference_materials)
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


def job_submit_aging(*, performer: Performer, production: Production, likeness_model: LikenessModel,
                     plate: BinaryIO, plate_name: str, target_age: float, by: User,
                     frame_start: int = 0, frame_end: int | None = None, use_description: str = "",
                     codec: str = OutputCodec.H264) -> Job:
    """Validate everything that can be known now (400 on bad input), store the plate, then ask the gate.

    Not one transaction: the plate (up to PLATE_UPLOAD_MAX_BYTES) is copied into storage first, and only then
    is the job recorded and gated, in one short transaction. A copy inside it would hold the database's write
    lock (on SQLite, every other writer's) for as long as the copy takes. Call it outside a transaction.

    `use_description` is the planned use of the shot (the spot an advertisement will run as): the Commercials
    agreement forbids any use outside the description the performer was given, so the gate compares the two.

    `codec` is how the output is encoded (`OutputCodec`): the H.264 review copy, or lossless H.264 for delivery."""
    require_studio_vfx(by, production)
    require_usable(by, performer=performer, likeness_model=likeness_model)
    errors: dict[str, list[str]] = {}
    if likeness_model.performer_id != performer.pk:
        errors["likeness_model"] = [f"this model is of another performer, not {performer}"]
    elif likeness_model.status != ModelStatus.READY:
        errors["likeness_model"] = [f"the model is {likeness_model.status}: only a ready model may be used"
                                    + (f" ({likeness_model.quarantine_reason})" if likeness_model.quarantine_reason
                                       else "")]
    if not 0 <= target_age <= 120:
        errors["target_age"] = ["must be between 0 and 120"]
    elif refusal := likeness_model.target_age_refusal(target_age):
        errors["target_age"] = [refusal]
    if codec not in OutputCodec.values:
        errors["codec"] = [f"unknown output codec {codec!r}; choose one of {', '.join(OutputCodec.values)}"]
    if frame_start < 0 or (frame_end is not None and frame_end <= frame_start):
        errors["frame_end"] = [f"the frame range {frame_start}-{frame_end} is inverted or empty: the end frame must "
                               f"come after the first frame ({frame_start})"]
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
                          "height": info.height, "codec": str(codec),
                          **({"use_description": use_description.strip()} if use_description.strip() else {})})
        with open(tmp.name, "rb") as handle:
            job.plate_sha256 = sha256_stream(handle)
            uploads.save_to_field(job.plate, f"{job.pk}{suffix}", File(handle, name=f"{job.pk}{suffix}"),
                                  field="plate")
    try:
        with transaction.atomic():
            # The model may have been quarantined while the plate was copied: look again, under its lock.
            model = LikenessModel.objects.select_for_update(no_key=True).get(pk=likeness_model.pk)
            if model.status != ModelStatus.READY:
                raise ValidationError({"likeness_model": [f"the model became {model.status} while the plate was "
                                                          "being stored: only a ready model may be used"]})
            job.save()
            audit_record(actor=by, action="job.submitted", obj=job,
                         data={"kind": job.kind, "params": job.params, "plate_sha256": job.plate_sha256,
                               "model": str(likeness_model.pk)})
            return _gate_submission(job, by)
    except BaseException:
        job.plate.delete(save=False)  # nothing half-written: the stored plate goes with the failed submission
        raise


@transaction.atomic
def job_cancel(*, job: Job, by: User, reason: str = "") -> Job:
    job = Job.objects.select_for_update(no_key=True).get(pk=job.pk)
    predicates.require(predicates.may_cancel_job(by, job), "only VFX staff of the production's studio may cancel "
                                                           "this job")
    if not JOB_STATES.allows(job.state, JobState.CANCELLED):
        raise ValidationError({"state": [f"the job is {job.state}; it can no longer be cancelled"]})
    job.state, job.state_reason, job.finished_at = JobState.CANCELLED, reason or "cancelled by the requester", timezone.now()
    job.save(update_fields=["state", "state_reason", "finished_at"])
    job_log(job, f"cancelled by {by.get_username()}: {job.state_reason}")
    audit_record(actor=by, action="job.cancelled", obj=job, data={"reason": job.state_reason})
    return job
