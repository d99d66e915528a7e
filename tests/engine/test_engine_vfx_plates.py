"""VFX plates: EXR sequences in and out, frame numbering, and the lossless and ProRes video outputs.

The plates are a real photograph (tests/data/faces) pushed in on, made scene-linear with sub-8-bit detail,
a light source at 6.0 (above what a display shows) and an alpha channel. What counts as "outside the face"
comes from dlib's own HOG face detector on the source, not from the engine's own mask, and the EXR outputs are read
back with OpenCV's bundled OpenEXR 2.3 (another version of the library than the engine writes with).
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import OpenEXR
import pytest

from engine.api import age_video
from engine.errors import MediaError
from engine.exr import proxy_to_linear, read_exr
from engine.media import FrameWriter, iter_frames, probe, read_all
from tests.real_faces import outside_the_face, photo, push_in, write_plate

LIGHT = 6.0  # a practical in the corner of the plate: scene-linear, brighter than white
FIRST = 1001


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    return push_in(photo("obama"), 6, size=320)


def _linear_plate(frames: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    out = []
    for frame in frames:
        linear = proxy_to_linear(frame) + rng.normal(0.0, 0.0004, frame.shape).astype(np.float32)
        linear = np.maximum(linear, 0.0)
        linear[:24, :24] = LIGHT
        rgb = linear.astype(np.float16)
        out.append({"R": rgb[..., 0].copy(), "G": rgb[..., 1].copy(), "B": rgb[..., 2].copy(),
                    "A": np.full(frame.shape[:2], 0.75, np.float32)})
    return out


def write_exr_plate(frames: list[np.ndarray], folder: Path, first: int = FIRST, skip: int | None = None) -> Path:
    """shot.1001.exr onwards, PIZ-compressed half-float RGB with a float alpha and a custom attribute."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, channels in enumerate(_linear_plate(frames)):
        if skip is not None and first + i == skip:
            continue
        header = {"compression": OpenEXR.PIZ_COMPRESSION, "type": OpenEXR.scanlineimage, "owner": "Unit 2"}
        OpenEXR.File(header, channels).write(str(folder / f"shot.{first + i}.exr"))
    return folder / "shot.####.exr"


def read_independently(path: Path, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    """The file's float values, through OpenCV's own OpenEXR (2.3): H x W x 4, B G R A, float32."""
    monkeypatch.setenv("OPENCV_IO_ENABLE_OPENEXR", "1")
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert data is not None, f"OpenCV cannot read {path}"
    return data


def test_an_exr_plate_ages_into_exr_keeping_every_value_outside_the_face(frames, untrained_checkpoint, tmp_path,
                                                                         monkeypatch) -> None:
    src = write_exr_plate(frames, tmp_path / "plates")
    info = probe(src)
    assert (info.codec, info.frame_count, info.first_frame, info.width) == ("exr", 6, FIRST, 320)
    result = age_video(src, tmp_path / "out" / "shot.####.exr", untrained_checkpoint, 60.0, performer_id="performer")
    assert result.frames_with_face == 6 and result.first_frame == FIRST
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [f"shot.{FIRST + i}.exr" for i in range(6)]
    for i, frame in enumerate(frames):
        before = read_independently(tmp_path / "plates" / f"shot.{FIRST + i}.exr", monkeypatch)
        after = read_independently(tmp_path / "out" / f"shot.{FIRST + i}.exr", monkeypatch)
        keep = outside_the_face(frame)
        assert np.array_equal(after[keep], before[keep])  # every float outside the face, bit for bit
        assert np.array_equal(after[..., 3], before[..., 3])  # the alpha channel everywhere
        assert np.all(after[:24, :24, :3] == LIGHT)  # the light above 1.0 is not clipped
        face = ~keep
        assert np.abs(after[face] - before[face]).mean() > 1e-3  # and the face was changed
    header = OpenEXR.File(str(tmp_path / "out" / f"shot.{FIRST}.exr"), header_only=True).header()
    assert header["owner"] == "Unit 2" and header["compression"] == OpenEXR.PIZ_COMPRESSION


def test_the_exr_output_shows_the_same_picture_as_the_8_bit_render(frames, untrained_checkpoint, tmp_path) -> None:
    """The aged proxy's change carried into the float values displays as the proxy itself (to one 8-bit step:
    the plate's finer-than-8-bit detail is kept under it)."""
    src = write_exr_plate(frames, tmp_path / "plates")
    age_video(src, tmp_path / "exr" / "shot.####.exr", untrained_checkpoint, 60.0, performer_id="performer")
    age_video(src, tmp_path / "png" / "shot.%04d.png", untrained_checkpoint, 60.0, performer_id="performer")
    for i in range(6):
        shown = read_exr(tmp_path / "exr" / f"shot.{FIRST + i}.exr").proxy.astype(int)
        rendered = cv2.cvtColor(cv2.imread(str(tmp_path / "png" / f"shot.{FIRST + i:04d}.png")), cv2.COLOR_BGR2RGB)
        assert np.abs(shown - rendered.astype(int)).max() <= 1


def test_a_frame_range_keeps_the_plates_frame_numbers_and_a_first_frame_renumbers(frames, untrained_checkpoint,
                                                                                 tmp_path) -> None:
    from engine.media import FrameRange

    src = write_exr_plate(frames, tmp_path / "plates")
    result = age_video(src, tmp_path / "a" / "shot.####.exr", untrained_checkpoint, 60.0, performer_id="performer",
                       frame_range=FrameRange(2, 4))
    assert result.frames_total == 2
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["shot.1003.exr", "shot.1004.exr"]
    age_video(src, tmp_path / "b" / "v2.%04d.exr", untrained_checkpoint, 60.0, performer_id="performer",
              frame_range=FrameRange(2, 4), first_frame=1)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["v2.0001.exr", "v2.0002.exr"]


def test_a_video_plate_writes_an_exr_sequence_from_the_first_frame_asked(frames, untrained_checkpoint, tmp_path) -> None:
    plate = write_plate(frames, tmp_path / "plate.mp4")
    result = age_video(plate, tmp_path / "out" / "shot.####.exr", untrained_checkpoint, 60.0, performer_id="performer",
                       first_frame=FIRST)
    assert result.frames_total == 6
    first = read_exr(tmp_path / "out" / f"shot.{FIRST}.exr")
    assert first.channels["R"].dtype == np.float16 and first.proxy.shape == (320, 320, 3)
    assert probe(tmp_path / "out" / "shot.####.exr").first_frame == FIRST


def test_a_sequence_with_a_missing_frame_is_refused_by_its_number(frames, untrained_checkpoint, tmp_path) -> None:
    src = write_exr_plate(frames, tmp_path / "plates", skip=1003)
    with pytest.raises(MediaError, match="frame 1003 missing from the sequence 1001-1006"):
        age_video(src, tmp_path / "out" / "shot.####.exr", untrained_checkpoint, 60.0, performer_id="performer")
    with pytest.raises(MediaError, match="frame 1003 missing"):
        probe(tmp_path / "plates")  # the folder, numbered alike, is checked the same way
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def _patched_data_window(good: Path, bad: Path, width: int, height: int) -> Path:
    data = bytearray(good.read_bytes())
    at = data.index(b"dataWindow\0box2i\0") + len(b"dataWindow\0box2i\0") + 4
    data[at + 8:at + 16] = np.array([width - 1, height - 1], "<i4").tobytes()
    bad.write_bytes(bytes(data))
    return bad


def test_exr_files_that_are_not_plates_are_refused_by_name(frames, untrained_checkpoint, tmp_path) -> None:
    src = write_exr_plate(frames[:1], tmp_path / "plates")
    good = tmp_path / "plates" / f"shot.{FIRST}.exr"
    cases: dict[str, tuple[Path, str]] = {}
    (tmp_path / "noise.exr").write_bytes(b"v/1\x01" + bytes(200))
    cases["corrupt"] = (tmp_path / "noise.exr", "not a readable EXR|cannot be read")
    (tmp_path / "short.exr").write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    cases["truncated"] = (tmp_path / "short.exr", "corrupt or truncated")
    cases["bomb"] = (_patched_data_window(good, tmp_path / "bomb.exr", 100_000, 100_000),
                     "refused before decoding: its data window is 100000 x 100000")
    OpenEXR.File({}, {"Y": np.zeros((8, 8), np.float16)}).write(str(tmp_path / "luma.exr"))
    cases["no rgb"] = (tmp_path / "luma.exr", "no R, G, B channel")
    rgb = {c: np.zeros((8, 8), np.float16) for c in "RGB"}
    OpenEXR.File([OpenEXR.Part({}, rgb, "left"), OpenEXR.Part({}, rgb, "right")]).write(str(tmp_path / "stereo.exr"))
    cases["multi-part"] = (tmp_path / "stereo.exr", "multi-part EXR")
    (tmp_path / "empty.exr").write_bytes(b"")
    cases["empty"] = (tmp_path / "empty.exr", "empty")
    for name, (path, message) in cases.items():
        with pytest.raises(MediaError, match=message):
            read_exr(path)
        out = tmp_path / f"out-{name.replace(' ', '-')}" / "shot.####.exr"
        with pytest.raises(MediaError, match=message):
            age_video(path, out, untrained_checkpoint, 60.0, performer_id="performer")
        assert not out.parent.exists() or not any(out.parent.iterdir()), name
    assert probe(src).frame_count == 1  # the good frame beside them still reads


def psnr_outside(before: list[np.ndarray], after: list[np.ndarray]) -> float:
    errors = []
    for b, a in zip(before, after, strict=True):
        keep = outside_the_face(b)
        errors.append((b[keep].astype(np.float64) - a[keep]) ** 2)
    mse = float(np.mean(np.concatenate(errors)))
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


@pytest.mark.parametrize(("codec", "suffix", "floor_db"), [("h264-lossless", ".mp4", float("inf")),
                                                          ("prores", ".mov", 45.0)])
def test_lossless_and_prores_outputs_keep_the_plate_outside_the_face(frames, untrained_checkpoint, tmp_path, codec: str,
                                                                   suffix: str, floor_db: float) -> None:
    plate = write_plate(frames, tmp_path / "plate")  # a PNG sequence: the source itself is lossless
    out = tmp_path / f"out{suffix}"
    result = age_video(plate, out, untrained_checkpoint, 60.0, performer_id="performer", codec=codec)
    assert result.codec == codec and probe(out).frame_count == 6
    aged = read_all(out)
    assert psnr_outside(frames, aged) >= floor_db
    faces = [~outside_the_face(f) for f in frames]
    assert np.mean([np.abs(a[m].astype(int) - f[m]).mean() for a, f, m in zip(aged, frames, faces)]) > 0.5


def test_the_review_codec_is_the_lossy_one(frames, tmp_path) -> None:
    """The default H.264 4:2:0 loses detail outside the face that the lossless codec keeps: the reason the
    lossless option exists (the figure behind the issue: about 41 dB)."""
    plate = write_plate(frames, tmp_path / "plate.mp4")
    assert psnr_outside(frames, read_all(plate)) < 50.0


def test_codec_choices_that_cannot_be_written_are_refused(tmp_path) -> None:
    def writer(path: Path, codec: str) -> FrameWriter:
        return FrameWriter(path, width=64, height=48, fps=Fraction(24), codec=codec)

    with pytest.raises(MediaError, match="unknown codec 'dnxhd'"):
        writer(tmp_path / "a.mov", "dnxhd")
    with pytest.raises(MediaError, match="ProRes is written to a .mov"):
        writer(tmp_path / "a.mp4", "prores")
    with pytest.raises(MediaError, match="for video outputs"):
        writer(tmp_path / "shot.####.exr", "prores")
    with pytest.raises(MediaError, match="more than one frame-number placeholder"):
        writer(tmp_path / "shot.##.%04d.exr", "h264")
    with pytest.raises(MediaError, match="unsupported sequence type '.tif'"):
        writer(tmp_path / "shot.####.tif", "h264")
    odd = FrameWriter(tmp_path / "odd.mp4", width=33, height=21, fps=Fraction(24), codec="h264-lossless")
    with odd:
        odd.write(np.full((21, 33, 3), 90, np.uint8))
    assert np.array_equal(next(iter_frames(tmp_path / "odd.mp4")), np.full((21, 33, 3), 90, np.uint8))


def test_writing_an_exr_frame_leaves_the_frame_as_it_was(tmp_path) -> None:
    """OpenEXR's writer swaps the arrays of the dicts it is given for its own objects; the frame must keep its own."""
    from engine.exr import ExrFrame, write_exr

    frame = ExrFrame.from_proxy(np.full((8, 8, 3), 128, np.uint8))
    write_exr(tmp_path / "a.exr", frame)
    write_exr(tmp_path / "b.exr", frame)
    assert all(isinstance(frame.channels[c], np.ndarray) for c in "RGB")
    assert read_exr(tmp_path / "b.exr").proxy.tolist() == frame.proxy.tolist()
    assert not list(tmp_path.glob("*.partial"))


def test_a_single_image_whose_name_holds_a_hash_is_one_image_not_a_pattern(tmp_path) -> None:
    from engine.media import write_image

    write_image(tmp_path / "take#2.png", np.full((8, 8, 3), 7, np.uint8))
    assert probe(tmp_path / "take#2.png").frame_count == 1
