"""Running one job on a worker: claim, gate, call the engine (imported here, never in the web process) with a
progress callback and a consent check between chunks, then record the result."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from likeness.jobs import services
from likeness.jobs.gating import job_decide
from likeness.jobs.models import Job, JobKind, JobState
from likeness.jobs.storage import local_path, work_dir
from likeness.policy.models import DecisionPurpose

log = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Keeps the claim alive while the engine works (model loading has no progress callbacks)."""

    def __init__(self, job_id: str, attempt: int):
        super().__init__(daemon=True, name=f"heartbeat-{job_id[:8]}")
        self.job_id, self.attempt = job_id, attempt
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
                if not services.job_heartbeat(job_id=self.job_id, attempt=self.attempt):
                    return
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
        self.stop_decision = None

    def progress(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last_write < 0.5 and done < total:
            return  # keep database writes to two a second
        self.last_write = now
        elapsed = now - self.started
        eta = (elapsed / done) * (total - done) if done and total else None
        services.job_progress(job_id=self.job_id, attempt=self.attempt, stage=stage, done=done, total=total, eta=eta)

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
    job = services.job_claim(job_id=job_id, worker=worker)
    if job is None:
        state = Job.objects.filter(pk=job_id).values_list("state", flat=True).first()
        log.info("job %s not claimable (state %s)", job_id, state)
        return f"skipped: {state}"
    decision = job_decide(job=job, purpose=DecisionPurpose.CLAIM, by=None)
    if not decision.allowed:
        services.job_stop(job_id=job_id, attempt=job.attempt, state=JobState.REVOKED, reason=decision.explanation,
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
            services.job_unclaim(job_id=job_id, attempt=job.attempt, reason="database unavailable; retrying")
        except (OperationalError, InterfaceError):
            log.warning("job %s: could not release the claim; the stale sweep will", job_id)
        raise
    except BaseException as exc:
        log.exception("job %s failed", job_id)
        services.job_stop(job_id=job_id, attempt=job.attempt, state=JobState.FAILED,
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
        services.job_stop(job_id=str(job.pk), attempt=job.attempt, state=governor.stop_state,
                          reason=governor.stop_reason, decision=governor.stop_decision)
    return f"stopped: {governor.stop_reason}"


def _fail(job: Job, exc: BaseException, partial: Path | None) -> str:
    if partial is not None:
        partial.unlink(missing_ok=True)
    services.job_stop(job_id=str(job.pk), attempt=job.attempt, state=JobState.FAILED, reason=str(exc) or repr(exc))
    return f"failed: {exc}"


def _train(job: Job, decision: Any) -> str:
    from engine.api import Reference, train_model  # lazily: torch loads on workers only
    from engine.errors import Cancelled, EngineError

    model = services.job_start_training_model(job=job, decision=decision)
    cache = work_dir("cache")
    refs = [Reference(str(local_path(m.file, cache_dir=cache)), age=float(m.performer_age), stride=int(
        job.params.get("stride", 3))) for m in job.reference_materials.all()]
    for leftover in work_dir("models").glob(f"*-job{job.pk}-*.safetensors*"):
        leftover.unlink(missing_ok=True)  # an earlier attempt's partial checkpoint
    out = work_dir("models") / f"{model.pk}-job{job.pk}-{job.attempt}.safetensors"
    governor = Governor(job, regate_every=2.0)  # training calls back every few steps: check consent every 2 s
    services.job_log(job, f"training a {job.params['size']} model for {job.params['steps']} steps on "
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
            "age_range": result.meta.age_range, "engine_version": result.meta.engine_version}
    figures = _training_figures(job, out, refs, result.history)
    try:
        done = services.job_finish_training(job_id=str(job.pk), attempt=job.attempt, checkpoint=out, meta=meta,
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
    except Exception as exc:
        log.warning("job %s: training figures not drawn: %s", job.pk, exc)
        services.job_log(job, f"training figures not drawn: {exc}", "warning")
        return {}
    return {name: Path(path) for name, path in drawn.items()}


def _age(job: Job) -> str:
    from engine.api import age_video
    from engine.errors import Cancelled, EngineError
    from engine.media import FrameRange

    cache = work_dir("cache")
    plate = local_path(job.plate, cache_dir=cache)
    checkpoint = local_path(job.likeness_model.checkpoint, cache_dir=cache)
    renders = work_dir("renders")
    for leftover in renders.glob(f"{job.pk}-*.mp4"):
        leftover.unlink(missing_ok=True)  # a partial render of an earlier attempt whose worker was killed
    out = renders / f"{job.pk}-{job.attempt}.mp4"
    governor = Governor(job, regate_every=0.0)  # aging: the gate runs between every chunk of frames
    params = job.params
    services.job_log(job, f"aging frames {params['frame_start']}-{params['frame_end']} to {params['target_age']:g}")
    try:
        result = age_video(plate, out, checkpoint, float(params["target_age"]),
                           performer_id=str(job.performer.public_id),
                           frame_range=FrameRange(int(params["frame_start"]), int(params["frame_end"])),
                           progress=governor.progress, should_continue=governor.should_continue,
                           chunk_frames=settings.JOB_CHUNK_FRAMES)
    except Cancelled:
        return _stopped(job, governor, out)
    except EngineError as exc:
        return _fail(job, exc, out)
    stats = {"frames_total": result.frames_total, "frames_with_face": result.frames_with_face,
             "frames_passed_through": result.frames_passed_through, "width": result.width,
             "height": result.height, "fps": result.fps, "stage_ms_per_frame": result.stage_ms_per_frame}
    try:
        done = services.job_finish_aging(job_id=str(job.pk), attempt=job.attempt, rendered=out, mime="video/mp4",
                                         engine_seconds=result.seconds, stats=stats)
    finally:
        out.unlink(missing_ok=True)
    return "rendered" if done else "not recorded (claim lost or consent ended)"


# ----- live preview -------------------------------------------------------------------------------------------

class LatencyWindow:
    """Per-stage latency: the last value and the mean over the last `size` frames (what a monitor shows)."""

    def __init__(self, size: int = 48):
        self.size = size
        self.values: dict[str, list[float]] = {}

    def add(self, latency_ms: dict[str, float]) -> None:
        for stage, ms in latency_ms.items():
            window = self.values.setdefault(stage, [])
            window.append(float(ms))
            del window[:-self.size]

    def fps(self) -> float | None:
        """Frames per second the pipeline could sustain (from the mean total latency, not the source's pace)."""
        total = self.values.get("total")
        return round(1000.0 * len(total) / max(sum(total), 1e-3), 2) if total else None

    def summary(self) -> dict[str, dict[str, float]]:
        return {stage: {"last": round(v[-1], 2), "mean": round(sum(v) / len(v), 2)} for stage, v in self.values.items()}


def _write_jpeg(path: Path, rgb: Any, quality: int) -> None:
    import cv2

    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise OSError("JPEG encoding failed")
    part = path.with_suffix(".part")
    part.write_bytes(data.tobytes())
    part.replace(path)  # a reader sees the previous frame or this one, never half of one


def run_preview(session_id: str, *, worker: str, max_frames: int | None = None) -> str:
    """Run one live preview session until it is stopped, its source ends, its time is up, or the gate says no.

    The gate is asked again every PREVIEW_REGATE_SECONDS (default 3); the state is read about once a second, so
    a person's Stop takes effect within a second. File sources play at their own frame rate (a monitor, not a
    batch render) and start again at the end when the session loops."""
    from likeness.jobs.gating import preview_decide
    from likeness.jobs.models import PreviewState
    from likeness.jobs.storage import preview_frame_path

    close_old_connections()
    session = services.preview_session_claim(session_id=session_id, worker=worker)
    if session is None:
        return "skipped: not queued"
    decision = preview_decide(session=session, purpose=DecisionPurpose.CLAIM, by=None)
    if not decision.allowed:
        services.preview_session_end(session_id=session_id, state=PreviewState.REVOKED, reason=decision.explanation,
                                     decision=decision)
        return "revoked at claim"
    try:
        return _preview_loop(session, worker=worker, max_frames=max_frames, frame_path=preview_frame_path(session_id))
    except BaseException as exc:
        log.exception("preview %s failed", session_id)
        # An engine error is already a sentence for people (e.g. a camera that cannot be opened).
        reason = str(exc) if _engine_error(exc) else f"{type(exc).__name__}: {exc}"
        services.preview_session_end(session_id=session_id, state=PreviewState.FAILED, reason=reason[:2000])
        if isinstance(exc, Exception):
            return f"failed: {exc}"
        raise


def _engine_error(exc: BaseException) -> bool:
    from engine.errors import EngineError

    return isinstance(exc, EngineError)


def _preview_loop(session: Any, *, worker: str, max_frames: int | None, frame_path: Path) -> str:
    from engine.api import load_renderer
    from engine.errors import EngineError
    from engine.media import iter_frames, probe
    from engine.pipeline import FaceAger
    from engine.preview import preview_stream
    from likeness.jobs.gating import preview_decide
    from likeness.jobs.models import PreviewSource, PreviewState

    session_id = str(session.pk)
    cache = work_dir("cache")
    renderer, meta = load_renderer(local_path(session.likeness_model.checkpoint, cache_dir=cache),
                                   performer_id=str(session.performer.public_id))
    cfg = meta.config
    if not cfg.age_min <= session.target_age <= cfg.age_max:
        raise EngineError(f"target age {session.target_age:g} is outside the model's range {cfg.age_min:g}-{cfg.age_max:g}")
    fps, source_path = 24.0, None
    if session.source_kind == PreviewSource.CAMERA:
        source: Any = int(session.camera_index)
    else:
        reference = session.source_kind == PreviewSource.REFERENCE
        field = session.reference_material.file if reference else session.plate_job.plate
        source_path = str(local_path(field, cache_dir=cache))
        fps = float(probe(source_path).fps) or 24.0
    ager = FaceAger(renderer, detect_every=8, fps=fps)

    def file_frames() -> Any:
        while True:
            yield from iter_frames(source_path)
            if not session.loop:
                return
            ager.reset()  # a new pass starts a new shot: the tracker must detect again

    frames = file_frames() if source_path else source
    frame_path.parent.mkdir(parents=True, exist_ok=True)
    regate_every = settings.PREVIEW_REGATE_SECONDS
    quality = settings.PREVIEW_JPEG_QUALITY
    window = LatencyWindow()
    started = last_report = last_gate = time.monotonic()
    n = faces = 0
    end_state, end_reason, end_decision = PreviewState.FINISHED, "the source ended", None
    for pf in preview_stream(frames, ager, session.target_age):
        t = time.perf_counter()
        _write_jpeg(frame_path, pf.side_by_side, quality)
        latency = {**pf.latency_ms, "publish": 1000 * (time.perf_counter() - t)}
        window.add(latency)
        n += 1
        faces += int(pf.had_face)
        now = time.monotonic()
        if now - last_report >= 1.0 or n == 1:
            last_report = now
            state = services.preview_session_report(session_id=session_id, frames=n, frames_with_face=faces,
                                                    fps=window.fps(), latency_ms=window.summary())
            if state != PreviewState.RUNNING:
                return f"stopped: {state}"
        if now - last_gate >= regate_every:
            last_gate = now
            decision = preview_decide(session=session, purpose=DecisionPurpose.CHUNK, by=None)
            if not decision.allowed:
                end_state, end_reason, end_decision = PreviewState.REVOKED, decision.explanation, decision
                break
        if now - started >= session.max_seconds:
            end_reason = f"reached the session's limit of {session.max_seconds} s"
            break
        if max_frames and n >= max_frames:
            end_reason = f"showed {n} frames"
            break
        if source_path:  # play at the file's rate, as a camera would deliver it
            time.sleep(max(0.0, started + n / fps - time.monotonic()))
    services.preview_session_report(session_id=session_id, frames=n, frames_with_face=faces, fps=window.fps(),
                                    latency_ms=window.summary())
    services.preview_session_end(session_id=session_id, state=end_state, reason=end_reason, decision=end_decision)
    log.info("preview %s on %s: %s after %d frames", session_id, worker, end_state, n)
    return f"{end_state}: {end_reason}"
