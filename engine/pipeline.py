"""Frame-level aging: track the face, align it, run the model on a batch of crops, composite back.

``FaceAger`` is shared by the offline API (``engine.api.age_video``), the evaluation and the live preview,
so all three measure and ship exactly the same code path.
"""
from __future__ import annotations

import os
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from engine.face.align import AlignedFace, align_face
from engine.face.composite import Composite, composite_face
from engine.face.detect import FaceDetector
from engine.face.identity import PerformerFaces
from engine.face.track import FaceTracker
from engine.model.infer import AgeRenderer


@dataclass
class FrameOutcome:
    frame: np.ndarray  # the output frame (the input itself, untouched, when no face was found)
    had_face: bool
    aligned: AlignedFace | None = None
    aged_crop: np.ndarray | None = None
    composite: Composite | None = None
    not_performer: bool = False  # a face was found but it is someone else's: the frame is passed through


@dataclass
class StageTimer:
    """Accumulates wall time per stage, for progress reports, the preview overlay and the benchmark."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, stage: str, dt: float, n: int = 1) -> None:
        self.seconds[stage] += dt
        self.counts[stage] += n

    def per_frame_ms(self, frames: int) -> dict[str, float]:
        return {k: 1000 * v / max(frames, 1) for k, v in self.seconds.items()}


@cache
def _composite_pool() -> ThreadPoolExecutor:
    """Threads that composite a chunk's frames side by side. OpenCV's warps and NumPy's array arithmetic
    release the GIL, and at 1080p compositing is the slowest CPU stage once the model runs on a GPU."""
    return ThreadPoolExecutor(max_workers=max(1, min(4, (os.cpu_count() or 1))), thread_name_prefix="composite")


# A forked worker process (Celery's prefork pool) inherits the cached executor but not its threads.
os.register_at_fork(after_in_child=_composite_pool.cache_clear)


class FaceAger:
    def __init__(self, renderer: AgeRenderer, *, detect_every: int = 5, fps: float = 24.0, colour_strength: float = 0.5,
                 smooth: bool = True, detector: FaceDetector | None = None,
                 performer: PerformerFaces | None = None, plate_detail: bool = True) -> None:
        self.renderer = renderer
        self.performer = performer  # when given, only faces that are the performer's are aged
        self.crop = renderer.cfg.crop
        self.tracker = FaceTracker(detector=detector, detect_every=detect_every, fps=fps, smooth=smooth,
                                   choose=None if performer is None else performer.pick)
        self.colour_strength = colour_strength
        self.plate_detail = plate_detail  # carry the plate's detail finer than the crop into the face
        self.timer = StageTimer()

    def reset(self) -> None:
        self.tracker.reset()

    def process_batch(self, frames: list[np.ndarray], target_age: float) -> list[FrameOutcome]:
        """Age a chunk of consecutive frames; the model runs once on all the chunk's faces."""
        aligned: list[AlignedFace | None] = []
        someone_else: set[int] = set()
        for index, f in enumerate(frames):
            t0 = time.perf_counter()
            tracked = self.tracker.update(f)
            t1 = time.perf_counter()
            self.timer.add("detect_track", t1 - t0)
            if tracked is None:
                if self.performer is not None:
                    self.performer.forget()
                aligned.append(None)
                continue
            if self.performer is not None:
                theirs = self.performer.is_performer(f, tracked.raw_landmarks, new_track=tracked.new_track,
                                                     detected=tracked.detected)
                t2 = time.perf_counter()
                self.timer.add("identity", t2 - t1)
                t1 = t2
                if not theirs:
                    if tracked.detected and self.tracker.faces_in_shot > 1:
                        # Following someone else while others are in shot: look among them again next frame.
                        self.tracker.drop()
                        self.performer.forget()
                    someone_else.add(index)
                    aligned.append(None)
                    continue
            aligned.append(align_face(f, tracked.landmarks, self.crop))
            self.timer.add("align", time.perf_counter() - t1)
        crops = [a.crop for a in aligned if a is not None]
        t0 = time.perf_counter()
        aged = self.renderer(np.stack(crops), target_age) if crops else np.zeros((0, self.crop, self.crop, 3), np.uint8)
        self.timer.add("model", time.perf_counter() - t0, max(1, len(crops)))
        t0 = time.perf_counter()
        faces = [(f, a) for f, a in zip(frames, aligned) if a is not None]
        jobs = [(f, a, aged[k]) for k, (f, a) in enumerate(faces)]
        comps = list(_composite_pool().map(self._composite, jobs)) if len(jobs) > 1 else [self._composite(j) for j in jobs]
        if jobs:
            self.timer.add("composite", time.perf_counter() - t0, len(jobs))
        outs: list[FrameOutcome] = []
        k = 0
        for index, (f, a) in enumerate(zip(frames, aligned, strict=True)):
            if a is None:
                outs.append(FrameOutcome(frame=f, had_face=False, not_performer=index in someone_else))
                continue
            outs.append(FrameOutcome(frame=comps[k].frame, had_face=True, aligned=a, aged_crop=aged[k], composite=comps[k]))
            k += 1
        return outs

    def _composite(self, job: tuple[np.ndarray, AlignedFace, np.ndarray]) -> Composite:
        frame, a, aged = job
        return composite_face(frame, aged, a.matrix, source_crop=a.crop, colour_strength=self.colour_strength,
                              detail=self.plate_detail)

    def process(self, frame: np.ndarray, target_age: float) -> FrameOutcome:
        return self.process_batch([frame], target_age)[0]
