"""End-to-end behaviour of a tiny trained model on synthetic performers (CPU, about two minutes)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skimage.data

from engine import synthetic
from engine.api import age_image, age_video, load_renderer
from engine.errors import Cancelled, CheckpointError, NoFaceError
from engine.face.composite import composite_face
from engine.media import FrameWriter, probe, read_all
from engine.pipeline import FaceAger
from tests.engine import recipe

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_older_targets_are_judged_older(tiny_checkpoint: Path, age_judge, clip_256) -> None:
    judged = recipe.judged_ages(tiny_checkpoint, age_judge, clip_256)
    assert judged[20.0] < judged[50.0] < judged[80.0], judged
    assert judged[80.0] - judged[20.0] > 15, judged


def test_pixels_outside_the_face_mask_are_unchanged(tiny_checkpoint: Path, clip_256) -> None:
    renderer, _ = load_renderer(tiny_checkpoint)
    outs = FaceAger(renderer).process_batch([r.image for r in clip_256], 75.0)
    for o, r in zip(outs, clip_256):
        assert o.had_face and o.composite is not None
        alpha = o.composite.full_alpha()
        assert np.array_equal(o.frame[alpha == 0], r.image[alpha == 0])
        assert (alpha > 0).mean() < 0.4  # the face, not the frame
        assert np.abs(o.frame.astype(int) - r.image.astype(int))[alpha > 0.5].mean() > 1.0  # it did change the face


def test_a_chunk_composited_on_threads_matches_compositing_each_frame_on_its_own(tiny_checkpoint: Path, clip_256) -> None:
    """The chunk's frames are composited side by side on a thread pool: each must come out exactly as the
    compositor makes it alone, in this thread, from the same aged crop."""
    renderer, _ = load_renderer(tiny_checkpoint)
    chunked = FaceAger(renderer, colour_strength=0.5).process_batch([r.image for r in clip_256], 70.0)
    assert len(chunked) == len(clip_256)
    for out, r in zip(chunked, clip_256, strict=True):
        assert out.had_face and out.aligned is not None and out.aged_crop is not None
        alone = composite_face(r.image, out.aged_crop, out.aligned.matrix, source_crop=out.aligned.crop, colour_strength=0.5)
        assert np.array_equal(out.frame, alone.frame)


def test_a_chunk_ages_its_frames_as_single_frames_are_aged(tiny_checkpoint: Path, clip_256) -> None:
    """Chunking changes nothing a viewer could see. Tracking and alignment are exact; the model's batched
    convolutions sum in another order than one face's do (float32: about 1e-7 apart), so a value sitting on a
    rounding boundary may land one level away in uint8, and never more."""
    renderer, _ = load_renderer(tiny_checkpoint)
    frames = [r.image for r in clip_256]
    chunked = FaceAger(renderer).process_batch(frames, 70.0)
    one_by_one = FaceAger(renderer)
    singles = [one_by_one.process(f, 70.0) for f in frames]
    for a, b in zip(chunked, singles, strict=True):
        assert a.had_face == b.had_face
        assert a.aligned is not None and b.aligned is not None
        assert np.array_equal(a.aligned.crop, b.aligned.crop) and np.array_equal(a.aligned.matrix, b.aligned.matrix)
        for x, y in ((a.aged_crop, b.aged_crop), (a.frame, b.frame)):
            diff = np.abs(x.astype(int) - y.astype(int))
            assert diff.max() <= 1 and (diff > 0).mean() < 0.01, (diff.max(), (diff > 0).mean())


def test_video_keeps_frame_count_rate_size_and_audio(tiny_checkpoint: Path, clip_256, tmp_path: Path, write_video) -> None:
    src = write_video(tmp_path / "plate.mp4", [r.image for r in clip_256], fps=25, audio=True)
    calls: list[tuple[str, int, int]] = []
    res = age_video(src, tmp_path / "aged.mp4", tiny_checkpoint, 70, chunk_frames=4, progress=lambda *a: calls.append(a))
    info_in, info_out = probe(src), probe(tmp_path / "aged.mp4")
    assert (info_out.frame_count, info_out.fps, info_out.width, info_out.height) == \
        (info_in.frame_count, info_in.fps, info_in.width, info_in.height)
    assert info_out.has_audio
    assert res.frames_total == len(clip_256) and res.frames_with_face == len(clip_256) and res.frames_passed_through == 0
    assert calls[-1] == ("age", len(clip_256), len(clip_256))
    assert set(res.stage_ms_per_frame) >= {"decode", "detect_track", "align", "model", "composite", "encode"}


def test_frames_without_a_face_pass_through_unchanged_and_are_counted(tiny_checkpoint: Path, clip_256, tmp_path: Path) -> None:
    empty = [synthetic.empty_frame((256, 256), seed=s) for s in (1, 2)]
    frames = [clip_256[0].image, empty[0], clip_256[1].image, empty[1], clip_256[2].image]
    with FrameWriter(tmp_path / "in", width=256, height=256, fps=24) as w:
        for f in frames:
            w.write(f)
    res = age_video(tmp_path / "in", tmp_path / "out", tiny_checkpoint, 60, chunk_frames=2)
    out = read_all(tmp_path / "out")
    assert len(out) == 5
    assert (res.frames_with_face, res.frames_passed_through) == (3, 2)
    assert np.array_equal(out[1], empty[0]) and np.array_equal(out[3], empty[1])
    assert not np.array_equal(out[0], frames[0])


def test_astronaut_photo_goes_through_detection_alignment_aging_and_compositing(tiny_checkpoint: Path) -> None:
    img = skimage.data.astronaut()
    out = age_image(img, tiny_checkpoint, 70)
    assert out.shape == img.shape and out.dtype == np.uint8
    changed = np.any(out != img, axis=2)
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 500
    assert 150 < xs.mean() < 300 and 60 < ys.mean() < 200  # on her face, nowhere else


def test_image_without_a_face_is_a_clear_error(tiny_checkpoint: Path) -> None:
    with pytest.raises(NoFaceError, match="no face"):
        age_image(synthetic.empty_frame((256, 256)), tiny_checkpoint, 50)


def test_cancellation_stops_and_removes_partial_output(tiny_checkpoint: Path, clip_256, tmp_path: Path, write_video) -> None:
    src = write_video(tmp_path / "plate.mp4", [r.image for r in clip_256])
    checks = iter([True, False])
    with pytest.raises(Cancelled):
        age_video(src, tmp_path / "aged.mp4", tiny_checkpoint, 60, chunk_frames=3, should_continue=lambda: next(checks))
    assert not (tmp_path / "aged.mp4").exists()


def test_checkpoint_of_another_performer_is_refused_before_work(tiny_checkpoint: Path, clip_256, tmp_path: Path, write_video) -> None:
    src = write_video(tmp_path / "plate.mp4", [r.image for r in clip_256[:3]])
    with pytest.raises(CheckpointError, match="belongs to performer"):
        age_video(src, tmp_path / "aged.mp4", tiny_checkpoint, 60, performer_id="synthetic-2")
    assert not (tmp_path / "aged.mp4").exists()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", "--quiet", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_reports_bad_input_in_one_line(tiny_checkpoint: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.mov"
    bad.write_bytes(b"\x00\x00\x00\x18ftypqt  " + b"garbage" * 50)
    r = _cli("age", str(bad), str(tmp_path / "o.mp4"), "--checkpoint", str(tiny_checkpoint), "--target-age", "60")
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    r = _cli("age", str(bad), str(tmp_path / "o.mp4"), "--checkpoint", str(tmp_path / "nope.safetensors"), "--target-age", "60")
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_preview_yields_side_by_side_frames_with_latency(tiny_checkpoint: Path, clip_256, tmp_path: Path, write_video) -> None:
    from engine.preview import run_preview

    src = write_video(tmp_path / "cam.mp4", [r.image for r in clip_256[:6]])
    stats = run_preview(str(src), str(tiny_checkpoint), 70, out=str(tmp_path / "sbs.mp4"), max_frames=5, detect_every=4)
    assert stats["frames"] == 5 and stats["frames_with_face"] == 5
    assert {"capture", "detect_track", "align", "model", "composite", "total"} <= set(stats["latency"])
    info = probe(tmp_path / "sbs.mp4")
    assert (info.width, info.height, info.frame_count) == (512, 256, 5)
