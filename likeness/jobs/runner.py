"""Running one job on a worker (live previews: preview_runner.py): claim, gate, call the engine (imported
here, never in the web process) with a progress callback and a consent check between chunks, then record the
result."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from likeness.jobs.gating import job_decide
from likeness.jobs.identity import performer_faces_of
from likeness.jobs.logbook import job_log
from likeness.jobs.models import Job, JobKind, JobState, OutputCodec
from likeness.jobs.storage import local_path, work_dir
from likeness.jobs.worker import (
    job_claim,
    job_finish_aging,
    job_finish_training,
    job_heartbeat,
    job_progress,
    job_start_training_model,
    job_stop,
    job_unclaim,
)
from likeness.policy.models import Decision, DecisionPurpose

log = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Keeps the claim alive while the engine works (model loading has no progress callbacks)."""

    def __init__(self, job_id: str, attempt: int):
        super().__init__(daemon=True, name=f"heartbeat-{job_id[:8]}")
        self.job_id, self.attempt = job_id, attempt
        self.stopped = threading.Event()
        self.missed = 0  # beats the database refused

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
                try:
                    if not job_heartbeat(job_id=self.job_id, attempt=self.attempt):
                        return
                except (OperationalError, InterfaceError) as exc:
                    # A beat that meets a locked or unreachable database is missed, not the end of the
                    # heartbeat: the claim goes stale only after several missed beats, and a thread that
                    # died here would let a job that is still running be swept and queued a second time.
                    log.warning("job %s: heartbeat not written (%s); trying again", self.job_id, exc)
                    self.missed += 1
                    connection.close()
        finally:
            connection.close()


class Governor:
    """The engine's progress callback and its between-chunks consent check."""

    def __init__(self, job: Job, *, regate_every: float):
        self.job, self.job_id, self.attempt = job, str(job.pk), job.attempt
        self.regate_every = regate_every
        self.started = time.monotonic()
        self.last_gate = time.monotonic()
        self.last_write = 0.0
        self.stop_state: str | None = None
        self.stop_reason = ""
        self.stop_decision: Decision | None = None

    def progress(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last_write < 0.5 and done < total:
            return  # keep database writes to two a second
        self.last_write = now
        elapsed = now - self.started
        eta = (elapsed / done) * (total - done) if done and total else None
        job_progress(job_id=self.job_id, attempt=self.attempt, stage=stage, done=done, total=total, eta=eta)

    def should_continue(self) -> bool:
        job = Job.objects.only("state", "attempt").get(pk=self.job_id)
        if job.state != JobState.RUNNING or job.attempt != self.attempt:
            self.stop_state, self.stop_reason = None, f"job is {job.state} (attempt {job.attempt})"
            return False
        if time.monotonic() - self.last_gate < self.regate_every:
            return True
        self.last_gate = time.monotonic()
        decision = job_decide(job=self.job, purpose=DecisionPurpose.CHUNK, by=None)
        if not decision.allowed:
            self.stop_state, self.stop_reason, self.stop_decision = JobState.REVOKED, decision.explanation, decision
            return False
        return True


def run_job(job_id: str, *, worker: str) -> str:
    close_old_connections()
    job = job_claim(job_id=job_id, worker=worker)
    if job is None:
        state = Job.objects.filter(pk=job_id).values_list("state", flat=True).first()
        log.info("job %s not claimable (state %s)", job_id, state)
        return f"skipped: {state}"
    decision = job_decide(job=job, purpose=DecisionPurpose.CLAIM, by=None)
    if not decision.allowed:
        job_stop(job_id=job_id, attempt=job.attempt, state=JobState.REVOKED, reason=decision.explanation,
                 decision=decision)
        return "revoked at claim"
    heartbeat = Heartbeat(job_id, job.attempt)
    heartbeat.start()
    try:
        if job.kind == JobKind.TRAINING:
            return _train(job, decision)
        return _age(job)
    except (OperationalError, InterfaceError):
        # The database blinked: hand the claim back so the task's retry can take it again (if even that
        # fails, the heartbeat stops and the stale-claim sweep queues the job again).
        try:
            job_unclaim(job_id=job_id, attempt=job.attempt, reason="database unavailable; retrying")
        except (OperationalError, InterfaceError):
            log.warning("job %s: could not release the claim; the stale sweep will", job_id)
        raise
    except BaseException as exc:  # time limits and engine bugs end the job, never strand it
        log.exception("job %s failed", job_id)
        job_stop(job_id=job_id, attempt=job.attempt, state=JobState.FAILED,
                 reason=f"{type(exc).__name__}: {exc}"[:2000])
        if isinstance(exc, Exception):
            return f"failed: {exc}"
        raise
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=5)


def _stopped(job: Job, governor: Governor, partial: Path | None) -> str:
    if partial is not None:
        partial.unlink(missing_ok=True)
    if governor.stop_state:
        job_stop(job_id=str(job.pk), attempt=job.attempt, state=governor.stop_state,
                 reason=governor.stop_reason, decision=governor.stop_decision)
    return f"stopped: {governor.stop_reason}"


def _fail(job: Job, exc: BaseException, partial: Path | None) -> str:
    if partial is not None:
        partial.unlink(missing_ok=True)
    job_stop(job_id=str(job.pk), attempt=job.attempt, state=JobState.FAILED, reason=str(exc) or repr(exc))
    return f"failed: {exc}"


def _log_balance(job: Job, balance: Any) -> None:
    """The reference frames per age bin, and each thing training could not even out between ages."""
    if balance is None:
        return
    bins = "; ".join(f"{b['ages']}: {b['frames']} frames from {', '.join(b['sources'])}" for b in balance.bins)
    job_log(job, f"reference frames by age: {bins}")
    for warning in balance.warnings:
        job_log(job, f"reference balance: {warning}", "warning")


def _train(job: Job, decision: Any) -> str:
    from engine.api import Reference, train_model  # lazily: torch loads on workers only
    from engine.errors import Cancelled, EngineError

    model = job_start_training_model(job=job, decision=decision)
    cache = work_dir("cache")
    refs = [Reference(str(local_path(m.file, cache_dir=cache)), age=float(m.performer_age), stride=int(
        job.params.get("stride", 3))) for m in job.reference_materials.all()]
    for leftover in work_dir("models").glob(f"*-job{job.pk}-*.safetensors*"):
        leftover.unlink(missing_ok=True)  # an earlier attempt's partial checkpoint
    out = work_dir("models") / f"{model.pk}-job{job.pk}-{job.attempt}.safetensors"
    governor = Governor(job, regate_every=2.0)  # training calls back every few steps: check consent every 2 s
    job_log(job, f"training a {job.params['size']} model for {job.params['steps']} steps on "
                          f"{len(refs)} reference file(s)")
    try:
        result = train_model(refs, performer_id=str(job.performer.public_id), out_path=out,
                             config=job.params["size"], steps=int(job.params["steps"]),
                             seed=int(job.params.get("seed", 0)), progress=governor.progress,
                             should_continue=governor.should_continue)
    except Cancelled:
        return _stopped(job, governor, out)
    except EngineError as exc:
        return _fail(job, exc, out)
    meta = {"dataset_manifest_sha256": result.meta.dataset_manifest_sha256, "steps": result.meta.steps,
            "age_range": result.meta.age_range, "engine_version": result.meta.engine_version,
            "target_ages": [result.meta.config.age_min, result.meta.config.age_max],
            "reference_balance": result.balance.summary() if result.balance is not None else {}}
    _log_balance(job, result.balance)
    figures = _training_figures(job, out, refs, result.history)
    try:
        done = job_finish_training(job_id=str(job.pk), attempt=job.attempt, checkpoint=out, meta=meta,
                                   engine_seconds=result.seconds, figures=figures,
                                   loss_history=result.history)
    finally:
        out.unlink(missing_ok=True)  # stored through the storage API (or refused): the work copy goes
        for path in figures.values():
            path.unlink(missing_ok=True)
    return "completed" if done else "not recorded (claim lost or consent ended)"


def _training_figures(job: Job, checkpoint: Path, refs: list[Any], history: dict[str, list[float]]) -> dict[str, Path]:
    """Loss curves and an age sweep of the reference faces, drawn next to the checkpoint. A figure that cannot
    be drawn is logged and left out: the model itself is still good."""
    from engine.figures import training_figures

    try:
        drawn = training_figures(checkpoint, refs, history, checkpoint.parent, stem=checkpoint.stem,
                                 performer_id=str(job.performer.public_id))
    except Exception as exc:  # pictures are a convenience, never a reason to lose the model
        log.warning("job %s: training figures not drawn: %s", job.pk, exc)
        job_log(job, f"training figures not drawn: {exc}", "warning")
        return {}
    return {name: Path(path) for name, path in drawn.items()}


def _age(job: Job) -> str:
    from engine.api import age_video
    from engine.errors import Cancelled, EngineError
    from engine.media import FrameRange

    cache = work_dir("cache")
    plate = local_path(job.plate, cache_dir=cache)
    if job.likeness_model is None:
        raise EngineError(f"aging job {job.pk} names no model to apply")
    checkpoint = local_path(job.likeness_model.checkpoint, cache_dir=cache)
    try:
        performer_faces = performer_faces_of(job.likeness_model, cache=cache, log_to=job)
    except EngineError as exc:
        return _fail(job, exc, None)
    renders = work_dir("renders")
    for leftover in renders.glob(f"{job.pk}-*.mp4"):
        leftover.unlink(missing_ok=True)  # a partial render of an earlier attempt whose worker was killed
    out = renders / f"{job.pk}-{job.attempt}.mp4"
    governor = Governor(job, regate_every=0.0)  # aging: the gate runs between every chunk of frames
    params = job.params
    job_log(job, f"aging frames {params['frame_start']}-{params['frame_end']} to {params['target_age']:g}")
    try:
        result = age_video(plate, out, checkpoint, float(params["target_age"]),
                           performer_id=str(job.performer.public_id),
                           frame_range=FrameRange(int(params["frame_start"]), int(params["frame_end"])),
                           progress=governor.progress, should_continue=governor.should_continue,
                           chunk_frames=settings.JOB_CHUNK_FRAMES, performer_faces=performer_faces,
                           codec=str(params.get("codec", OutputCodec.H264)))
    except Cancelled:
        return _stopped(job, governor, out)
    except EngineError as exc:
        return _fail(job, exc, out)
    job_log(job, f"the plate's face is the performer's (distance {result.identity_distance:.3f} to their "
                 f"reference faces); {result.frames_not_performer} frame(s) of someone else left as filmed")
    stats = {"frames_total": result.frames_total, "frames_with_face": result.frames_with_face,
             "frames_passed_through": result.frames_passed_through,
             "frames_not_performer": result.frames_not_performer, "identity_distance": result.identity_distance,
             "width": result.width,
             "height": result.height, "fps": result.fps, "stage_ms_per_frame": result.stage_ms_per_frame}
    try:
        done = job_finish_aging(job_id=str(job.pk), attempt=job.attempt, rendered=out, mime="video/mp4",
                                engine_seconds=result.seconds, stats=stats)
    finally:
        out.unlink(missing_ok=True)
    return "rendered" if done else "not recorded (claim lost or consent ended)"
