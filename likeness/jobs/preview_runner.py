"""Running one live preview session on a worker: claim, gate, stream frames through the engine at the source's
pace to the monitor's JPEG, report figures about once a second, and ask the gate again while it runs."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from likeness.jobs.identity import performer_faces_of
from likeness.jobs.previews import preview_session_claim, preview_session_end, preview_session_report
from likeness.jobs.storage import local_path, work_dir
from likeness.policy.models import DecisionPurpose

log = logging.getLogger(__name__)


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
    session = preview_session_claim(session_id=session_id, worker=worker)
    if session is None:
        return "skipped: not queued"
    decision = preview_decide(session=session, purpose=DecisionPurpose.CLAIM, by=None)
    if not decision.allowed:
        preview_session_end(session_id=session_id, state=PreviewState.REVOKED, reason=decision.explanation,
                            decision=decision)
        return "revoked at claim"
    try:
        return _preview_loop(session, worker=worker, max_frames=max_frames, frame_path=preview_frame_path(session_id))
    except BaseException as exc:  # a broken source or engine ends the session, never strands it
        log.exception("preview %s failed", session_id)
        # An engine error is already a sentence for people (e.g. a camera that cannot be opened).
        reason = str(exc) if _engine_error(exc) else f"{type(exc).__name__}: {exc}"
        preview_session_end(session_id=session_id, state=PreviewState.FAILED, reason=reason[:2000])
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
    # The face must be the performer's: a file is checked before the first frame streams, and in every source
    # a face that is someone else's is shown as filmed on both monitors.
    performer_faces = performer_faces_of(session.likeness_model, cache=cache)
    if source_path is not None:
        from engine.face.identity import sample_frames

        performer_faces.require_in(sample_frames(source_path), what="the preview's source")
    ager = FaceAger(renderer, detect_every=8, fps=fps, performer=performer_faces)

    def file_frames() -> Any:
        if source_path is None:
            raise EngineError(f"preview {session.pk} reads no file")
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
            state = preview_session_report(session_id=session_id, frames=n, frames_with_face=faces,
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
    preview_session_report(session_id=session_id, frames=n, frames_with_face=faces, fps=window.fps(),
                           latency_ms=window.summary())
    preview_session_end(session_id=session_id, state=end_state, reason=end_reason, decision=end_decision)
    log.info("preview %s on %s: %s after %d frames", session_id, worker, end_state, n)
    return f"{end_state}: {end_reason}"
