"""The engine's Python API, called by the platform's Celery tasks and by the CLI.

Every long call takes ``progress(stage, done, total)`` and ``should_continue() -> bool``. The check runs
between chunks of frames (and every few training steps); when it returns False the call removes its
partial output and raises ``engine.errors.Cancelled``.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

import numpy as np

from engine.balance import BalanceReport, FrameStats, frame_stats, plan_balance
from engine.errors import Cancelled, EngineError, MediaError, NoFaceError, TrainingDataError
from engine.exr import ExrFrame
from engine.face.align import align_face
from engine.face.detect import FaceDetector, LandmarkPredictor
from engine.face.identity import PerformerFaces, sample_frames
from engine.media import (
    FrameRange,
    FrameWriter,
    WriteBehind,
    iter_exr_frames,
    iter_frames,
    probe,
    read_ahead,
    read_image,
    remove_output,
)
from engine.model.checkpoint import CheckpointMeta, load_checkpoint, manifest_sha256, save_checkpoint
from engine.model.config import ModelConfig, preset, train_batch_size
from engine.model.infer import AgeRenderer
from engine.model.train import train_age_model
from engine.pipeline import FaceAger

ProgressFn = Callable[[str, int, int], None]
ContinueFn = Callable[[], bool]


def _noop_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Reference:
    """Reference footage of the performer: a video, PNG sequence or image, and their age in it."""

    path: str
    age: float
    frame_range: FrameRange | None = None
    stride: int = 1  # use every n-th frame: neighbouring frames add little


@dataclass
class CropSet:
    crops: np.ndarray  # N x S x S x 3 uint8
    ages: np.ndarray  # N
    manifest: list[dict[str, object]]
    frames_seen: int = 0
    frames_without_face: int = 0
    stats: list[FrameStats] = field(default_factory=list)  # pose, light, mouth per crop (engine/balance.py)

    @property
    def manifest_sha256(self) -> str:
        return manifest_sha256(self.manifest)


def crops_from_frames(frames: Iterable[tuple[np.ndarray, float, str]], crop: int, *, detector: FaceDetector | None = None,
                      progress: ProgressFn = _noop_progress, total: int = 0,
                      should_continue: ContinueFn | None = None) -> CropSet:
    """Detect, landmark and align one face per frame. Frames without a face are skipped and counted.

    ``frames`` yields (frame, age, source label); the label and a hash of each crop go in the manifest.
    """
    det = detector or FaceDetector()
    lmk = LandmarkPredictor()
    crops, ages, manifest, stats = [], [], [], []
    seen = missing = 0
    for frame, age, label in frames:
        if should_continue is not None and seen % 16 == 0 and not should_continue():
            raise Cancelled("training cancelled while preparing reference frames")
        seen += 1
        boxes = det.detect(frame)
        if not boxes:
            missing += 1
        else:
            a = align_face(frame, lmk.predict(frame, boxes[0]), crop)
            crops.append(a.crop)
            stats.append(frame_stats(a.crop, a.landmarks))
            ages.append(float(age))
            manifest.append({"source": label, "age": float(age),
                             "crop_sha256": hashlib.sha256(a.crop.tobytes()).hexdigest()})
        progress("prepare", seen, total or seen)
    arr = np.stack(crops) if crops else np.zeros((0, crop, crop, 3), np.uint8)
    return CropSet(arr, np.asarray(ages, np.float32), manifest, seen, missing, stats)


SINGLE_IMAGES = {".png", ".jpg", ".jpeg", ".exr"}  # a reference that is one still rather than a sequence


def _reference_frames(refs: Sequence[Reference]) -> Iterable[tuple[np.ndarray, float, str]]:
    for ref in refs:
        stride = max(1, ref.stride)
        if Path(ref.path).suffix.lower() in SINGLE_IMAGES and Path(ref.path).is_file():
            yield read_image(ref.path), ref.age, os.path.basename(ref.path)
            continue
        start = ref.frame_range.start if ref.frame_range else 0
        for i, frame in enumerate(iter_frames(ref.path, ref.frame_range)):
            if i % stride == 0:
                yield frame, ref.age, f"{os.path.basename(ref.path)}#{start + i}"


def _count_reference_frames(refs: Sequence[Reference]) -> int:
    total = 0
    for ref in refs:
        if Path(ref.path).suffix.lower() in SINGLE_IMAGES and Path(ref.path).is_file():
            total += 1
            continue
        n = probe(ref.path).frame_count
        lo, hi = (ref.frame_range or FrameRange()).clamp(n)
        total += max(0, (hi - lo + max(1, ref.stride) - 1) // max(1, ref.stride))
    return total


@dataclass
class TrainOutcome:
    checkpoint: Path
    meta: CheckpointMeta
    history: dict[str, list[float]]
    frames_seen: int
    faces_used: int
    frames_without_face: int
    seconds: float
    balance: BalanceReport | None = None  # None for crops given without their statistics


def train_model(references: Sequence[Reference] | CropSet | Sequence[tuple[np.ndarray, float]], *, performer_id: str,
                out_path: str | os.PathLike[str], config: ModelConfig | str = "preview", steps: int = 2000,
                batch_size: int | None = None, seed: int = 0, device: str | None = None,
                progress: ProgressFn = _noop_progress, should_continue: ContinueFn | None = None,
                extra_meta: dict[str, object] | None = None) -> TrainOutcome:
    """Build a per-performer age model and write it as a safetensors checkpoint at ``out_path``."""
    cfg = preset(config) if isinstance(config, str) else config
    t0 = time.monotonic()
    if isinstance(references, CropSet):
        crops = references
    elif references and isinstance(references[0], Reference):
        # The first item decides which kind of sequence this is; mypy cannot narrow a union of sequences by it.
        refs = cast("list[Reference]", list(references))
        crops = crops_from_frames(_reference_frames(refs), cfg.crop, progress=progress,
                                  total=_count_reference_frames(refs), should_continue=should_continue)
    else:
        pairs = cast("list[tuple[np.ndarray, float]]", list(references))
        crops = crops_from_frames(((f, a, f"frame{i}") for i, (f, a) in enumerate(pairs)), cfg.crop,
                                  progress=progress, total=len(pairs), should_continue=should_continue)
    if len(crops.crops) < 8:
        raise TrainingDataError(f"found a face in only {len(crops.crops)} of {crops.frames_seen} reference frames; need at least 8")
    # Where the ages' frames differ in pose, light or mouth, or in number, training evens them out as far as
    # the frames allow (engine/balance.py); what cannot be evened out is reported, not hidden.
    weights, balance = None, None
    if len(crops.stats) == len(crops.crops):
        weights, balance = plan_balance(crops.stats, crops.ages.tolist(), [str(m["source"]) for m in crops.manifest])
    result = train_age_model(crops.crops, crops.ages, cfg, steps=steps, batch_size=batch_size or train_batch_size(cfg),
                             seed=seed, device=device, progress=progress, should_continue=should_continue,
                             sample_weights=weights)
    balance_meta = {} if balance is None else {"reference_warnings": balance.warnings,
                                               "reference_differences": balance.differences_after}
    meta = CheckpointMeta(performer_id=str(performer_id), config=cfg, dataset_manifest_sha256=crops.manifest_sha256,
                          steps=result.steps, age_range=(float(crops.ages.min()), float(crops.ages.max())),
                          extra={"seed": seed, "faces": len(crops.crops), **balance_meta, **(extra_meta or {})})
    path = save_checkpoint(out_path, result.model, meta)
    return TrainOutcome(checkpoint=path, meta=meta, history=result.history, frames_seen=crops.frames_seen,
                        faces_used=len(crops.crops), frames_without_face=crops.frames_without_face,
                        seconds=time.monotonic() - t0, balance=balance)


@dataclass
class AgeResult:
    output: str
    frames_total: int
    frames_with_face: int
    frames_passed_through: int  # no face of the performer's: no face at all, or someone else's
    width: int
    height: int
    fps: float
    target_age: float
    performer_id: str
    model: str
    seconds: float
    stage_ms_per_frame: dict[str, float] = field(default_factory=dict)
    frames_not_performer: int = 0  # of those passed through, frames whose face is someone else's
    identity_distance: float | None = None  # the plate's nearest distance to the performer's reference faces
    codec: str = "h264"  # of a video output (VIDEO_CODECS); a sequence's format is its suffix
    first_frame: int = 0  # a sequence output's first frame number

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def load_renderer(checkpoint: str | os.PathLike[str], *, performer_id: str | None = None,
                  config: ModelConfig | str | None = None, device: str | None = None) -> tuple[AgeRenderer, CheckpointMeta]:
    model, meta = load_checkpoint(checkpoint, performer_id=performer_id, config=config)
    return AgeRenderer(model, device=device), meta


def _check_age(meta: CheckpointMeta, target_age: float) -> None:
    cfg = meta.config
    if not (cfg.age_min <= target_age <= cfg.age_max):
        raise EngineError(f"target age {target_age} is outside the model's range {cfg.age_min:g}-{cfg.age_max:g}")


def age_video(src: str | os.PathLike[str], dst: str | os.PathLike[str], checkpoint: str | os.PathLike[str], target_age: float,
              *, performer_id: str | None = None, frame_range: FrameRange | None = None,
              progress: ProgressFn = _noop_progress, should_continue: ContinueFn | None = None, chunk_frames: int = 16,
              device: str | None = None, detect_every: int = 5, colour_strength: float = 0.5,
              performer_faces: PerformerFaces | None = None, codec: str = "h264",
              first_frame: int | None = None, plate_detail: bool = True) -> AgeResult:
    """Age the performer's face in a video, PNG or EXR sequence and write the result to ``dst``.

    The output keeps the source's frame count (within ``frame_range``), rate, size and audio. Frames with
    no face are written unchanged and counted in ``frames_passed_through``. A video output is written with
    ``codec`` (``engine.media.VIDEO_CODECS``). A sequence output is numbered from ``first_frame``; by default
    it keeps a numbered source's frame numbers (``shot.1001.exr`` ages into ``out.1001.exr``), and a video's
    frames are numbered from 0. EXR in and EXR out keeps every float value the aging did not change.

    ``plate_detail`` carries the plate's detail finer than the model's crop into the face (grain, pores; see
    engine/face/composite.py); turn it off to de-age away lines finer than the crop can hold.

    With ``performer_faces`` (the performer's reference faces), the plate is checked before anything renders:
    IdentityMismatch when none of the faces in frames spread through the range is the performer's. While it
    renders, a face that is someone else's is left as filmed (``frames_not_performer``).
    """
    t0 = time.monotonic()
    src, dst = str(src), str(dst)
    if os.path.abspath(src) == os.path.abspath(dst):
        raise MediaError("output path must differ from the input")
    renderer, meta = load_renderer(checkpoint, performer_id=performer_id, device=device)
    _check_age(meta, target_age)
    info = probe(src)
    lo, hi = (frame_range or FrameRange()).clamp(info.frame_count)
    total = hi - lo
    if total <= 0:
        raise MediaError(f"{src}: frame range selects no frames (the plate has {info.frame_count})")
    numbering = first_frame if first_frame is not None else (info.first_frame + lo if info.kind == "sequence" else 0)
    exr_source = info.codec == "exr"
    checked = None
    if performer_faces is not None:
        checked = performer_faces.require_in(sample_frames(src, frame_range), what=f"the plate (frames {lo}-{hi})")
    ager = FaceAger(renderer, detect_every=detect_every, fps=float(info.fps), colour_strength=colour_strength,
                    performer=performer_faces, plate_detail=plate_detail)
    done = with_face = not_performer = 0
    writer = FrameWriter(dst, width=info.width, height=info.height, fps=info.fps, audio_from=src, frame_range=frame_range,
                         codec=codec, first_frame=numbering)
    # An EXR source's frames travel with their float values, for the EXR writer; a float frame is several
    # times an 8-bit one, so fewer are read ahead.
    source: Iterator[np.ndarray | ExrFrame] = (iter_exr_frames(src, frame_range) if exr_source
                                               else iter_frames(src, frame_range))
    try:
        # Decoding runs ahead and encoding behind on their own threads, so that on a GPU worker the three
        # CPU-heavy stages overlap instead of adding up; the gate and cancellation checks stay per chunk.
        with writer, closing(read_ahead(source, depth=chunk_frames if exr_source else 2 * chunk_frames)) as frames:
            encoder = WriteBehind(writer, depth=chunk_frames)
            chunk: list[np.ndarray] = []
            plates: list[ExrFrame | None] = []

            def flush() -> None:
                nonlocal done, with_face, not_performer
                if should_continue is not None and not should_continue():
                    raise Cancelled(f"aging cancelled after {done} of {total} frames")
                for out, plate in zip(ager.process_batch(chunk, target_age), plates, strict=True):
                    t = time.perf_counter()
                    encoder.write(out.frame, plate)
                    ager.timer.add("encode", time.perf_counter() - t)
                    with_face += int(out.had_face)
                    not_performer += int(out.not_performer)
                done += len(chunk)
                chunk.clear()
                plates.clear()
                progress("age", done, total)

            try:
                while True:
                    t = time.perf_counter()
                    item = next(frames, None)
                    ager.timer.add("decode", time.perf_counter() - t)
                    if item is None:
                        break
                    if isinstance(item, ExrFrame):
                        chunk.append(item.proxy)
                        plates.append(item)
                    else:
                        chunk.append(item)
                        plates.append(None)
                    if len(chunk) >= chunk_frames:
                        flush()
                if chunk:
                    flush()
                encoder.flush()
            finally:
                encoder.close()
    except BaseException:
        remove_output(dst, writer.created_files)
        raise
    if done != total:
        # probe counted packets; the decoder produced fewer frames: the file is damaged.
        remove_output(dst, writer.created_files)
        raise MediaError(f"{src}: expected {total} frames but only {done} could be decoded (truncated?)")
    return AgeResult(output=dst, frames_total=done, frames_with_face=with_face, frames_passed_through=done - with_face,
                     width=info.width, height=info.height, fps=float(info.fps), target_age=float(target_age),
                     performer_id=meta.performer_id, model=meta.config.name, seconds=time.monotonic() - t0,
                     stage_ms_per_frame=ager.timer.per_frame_ms(done), frames_not_performer=not_performer,
                     identity_distance=None if checked is None else checked.distance, codec=codec,
                     first_frame=numbering)


def age_image(image: np.ndarray, checkpoint: str | os.PathLike[str] | AgeRenderer, target_age: float, *,
              performer_id: str | None = None, colour_strength: float = 0.5) -> np.ndarray:
    """Age the face in one image; raises ``NoFaceError`` when the image holds no face."""
    renderer = checkpoint if isinstance(checkpoint, AgeRenderer) else load_renderer(checkpoint, performer_id=performer_id)[0]
    ager = FaceAger(renderer, detect_every=1, smooth=False, colour_strength=colour_strength)
    out = ager.process(image, target_age)
    if not out.had_face:
        raise NoFaceError("no face found in the image")
    return out.frame
