"""Real-time preview for the set: camera or file in, side-by-side (as filmed | aged) frames out.

Detection runs every ``detect_every`` frames; in between the tracker follows the landmarks, so the per-
frame cost is landmarks + align + the preview model + composite. Each yielded frame carries the latency of
every stage, which the monitor overlays and the benchmark reports.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import cv2
import numpy as np

from engine.api import load_renderer
from engine.errors import MediaError
from engine.media import FrameWriter, iter_frames, probe
from engine.pipeline import FaceAger


@dataclass
class PreviewFrame:
    side_by_side: np.ndarray  # H x 2W x 3: as filmed | aged
    had_face: bool
    latency_ms: dict[str, float] = field(default_factory=dict)


def _camera_frames(index: int) -> Iterator[np.ndarray]:
    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        raise MediaError(f"camera {index} cannot be opened")
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()


def preview_stream(source: int | str | Iterator[np.ndarray], ager: FaceAger, target_age: float, *,
                   label: bool = True) -> Iterator[PreviewFrame]:
    frames: Iterator[np.ndarray]
    if isinstance(source, int):
        frames = _camera_frames(source)
    elif isinstance(source, (str, os.PathLike)):
        frames = iter_frames(source)
    else:
        frames = source
    while True:
        t0 = time.perf_counter()
        frame = next(frames, None)
        t1 = time.perf_counter()
        if frame is None:
            return
        before = dict(ager.timer.seconds)
        out = ager.process(frame, target_age)
        lat = {"capture": 1000 * (t1 - t0)}
        for k, v in ager.timer.seconds.items():
            lat[k] = 1000 * (v - before.get(k, 0.0))
        t2 = time.perf_counter()
        sbs = np.hstack([frame, out.frame])
        if label:
            h = frame.shape[0]
            s = max(0.4, h / 720)
            cv2.putText(sbs, "as filmed", (10, int(30 * s)), cv2.FONT_HERSHEY_SIMPLEX, s, (255, 255, 255), 2, cv2.LINE_AA)
            txt = f"age {target_age:g}" + ("" if out.had_face else " (no face)")
            cv2.putText(sbs, txt, (frame.shape[1] + 10, int(30 * s)), cv2.FONT_HERSHEY_SIMPLEX, s, (255, 255, 255), 2, cv2.LINE_AA)
        lat["present"] = 1000 * (time.perf_counter() - t2)
        lat["total"] = 1000 * (time.perf_counter() - t0)
        yield PreviewFrame(side_by_side=sbs, had_face=out.had_face, latency_ms=lat)


def run_preview(source: int | str, checkpoint: str, target_age: float, *, out: str | None = None, max_frames: int | None = None,
                performer_id: str | None = None, device: str | None = None, detect_every: int = 8,
                progress: Callable[[str, int, int], None] | None = None) -> dict[str, object]:
    """Run the preview; write the side-by-side stream to ``out`` when given. Returns latency statistics."""
    renderer, meta = load_renderer(checkpoint, performer_id=performer_id, device=device)
    fps = 24.0
    total = max_frames or 0
    if isinstance(source, str):
        info = probe(source)
        fps = float(info.fps)
        total = min(total, info.frame_count) if total else info.frame_count
    ager = FaceAger(renderer, detect_every=detect_every, fps=fps)
    writer: FrameWriter | None = None
    lat: dict[str, list[float]] = {}
    n = faces = 0
    try:
        for pf in preview_stream(source, ager, target_age):
            if writer is None and out:
                h, w = pf.side_by_side.shape[:2]
                writer = FrameWriter(out, width=w - w % 2, height=h - h % 2, fps=Fraction(fps).limit_denominator(1001))
            if writer is not None:
                writer.write(np.ascontiguousarray(pf.side_by_side[: writer.height, : writer.width]))
            for k, v in pf.latency_ms.items():
                lat.setdefault(k, []).append(v)
            n += 1
            faces += int(pf.had_face)
            if progress:
                progress("preview", n, total or n)
            if max_frames and n >= max_frames:
                break
        if writer is not None:
            writer.close()
    except BaseException:
        if writer is not None:
            writer._abort()
        raise
    stats = {k: {"mean_ms": float(np.mean(v)), "p95_ms": float(np.percentile(v, 95))} for k, v in lat.items()}
    mean_total = float(np.mean(lat["total"])) if lat.get("total") else 0.0
    return {"frames": n, "frames_with_face": faces, "model": meta.config.name, "latency": stats,
            "fps": 1000.0 / mean_total if mean_total else 0.0, "output": out}
