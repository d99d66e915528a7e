from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.errors import MediaError
from engine.media import FrameRange, FrameWriter, WriteBehind, iter_frames, probe, read_ahead, read_all


def _frames(n: int, w: int = 64, h: int = 48) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    return [np.roll(base, i, axis=1) for i in range(n)]


def test_mp4_round_trip_keeps_count_rate_size_and_audio(tmp_path: Path, write_video) -> None:
    src = write_video(tmp_path / "src.mp4", _frames(20), fps=25, audio=True)
    info = probe(src)
    assert (info.width, info.height, info.frame_count, info.fps, info.has_audio) == (64, 48, 20, Fraction(25), True)
    dst = tmp_path / "out.mp4"
    with FrameWriter(dst, width=64, height=48, fps=info.fps, audio_from=str(src)) as w:
        for f in iter_frames(src):
            w.write(f)
    out = probe(dst)
    assert (out.width, out.height, out.frame_count, out.fps, out.has_audio, out.codec) == (64, 48, 20, Fraction(25), True, "h264")


def test_frame_range_on_video_and_trimmed_audio(tmp_path: Path, write_video) -> None:
    src = write_video(tmp_path / "src.mp4", _frames(30), fps=24, audio=True)
    frames = read_all(src, FrameRange(10, 20))
    assert len(frames) == 10
    dst = tmp_path / "trim.mp4"
    with FrameWriter(dst, width=64, height=48, fps=Fraction(24), audio_from=str(src), frame_range=FrameRange(10, 20)) as w:
        for f in frames:
            w.write(f)
    with av.open(str(dst)) as c:
        audio_s = float(c.streams.audio[0].duration * c.streams.audio[0].time_base) if c.streams.audio[0].duration else 0
    assert probe(dst).frame_count == 10
    assert 0.2 < audio_s < 0.7  # about 10/24 s of the source's audio, not all 1.25 s


def test_png_sequence_round_trip_is_lossless(tmp_path: Path) -> None:
    frames = _frames(6, 33, 21)  # odd size: fine for PNG
    with FrameWriter(tmp_path / "seq", width=33, height=21, fps=Fraction(24)) as w:
        for f in frames:
            w.write(f)
    back = read_all(tmp_path / "seq")
    assert len(back) == 6 and all(np.array_equal(a, b) for a, b in zip(frames, back))
    assert [np.array_equal(a, b) for a, b in zip(frames[2:4], read_all(tmp_path / "seq", FrameRange(2, 4)))] == [True, True]
    with FrameWriter(tmp_path / "pat" / "shot.%04d.png", width=33, height=21, fps=Fraction(24)) as w:
        w.write(frames[0])
    assert (tmp_path / "pat" / "shot.0000.png").is_file()
    assert probe(tmp_path / "pat" / "shot.%04d.png").frame_count == 1


def test_corrupt_file_is_a_media_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video" * 100)
    with pytest.raises(MediaError, match="bad.mp4"):
        probe(bad)


def test_truncated_file_is_a_media_error(tmp_path: Path, write_video) -> None:
    src = write_video(tmp_path / "src.mp4", _frames(20))
    data = src.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError):
        probe(cut)
        list(iter_frames(cut))


def test_empty_and_zero_frame_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        probe(empty)
    # A valid container with a video stream and no frames.
    zero = tmp_path / "zero.mp4"
    c = av.open(str(zero), "w")
    v = c.add_stream("libx264", rate=24)
    v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
    c.start_encoding()  # write the header, then close without a single frame
    c.close()
    assert zero.stat().st_size > 0
    with pytest.raises(MediaError, match="no frames|no video stream|cannot"):
        probe(zero)
    with pytest.raises(MediaError):
        list(iter_frames(zero))


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    p = tmp_path / "audio.mp4"
    c = av.open(str(p), "w")
    a = c.add_stream("aac", rate=16000)
    a.layout = "mono"
    af = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
    af.sample_rate = 16000
    for pkt in a.encode(af):
        c.mux(pkt)
    for pkt in a.encode(None):
        c.mux(pkt)
    c.close()
    with pytest.raises(MediaError, match="no video stream"):
        probe(p)


def test_unsupported_codec_is_a_media_error(tmp_path: Path, write_video) -> None:
    src = write_video(tmp_path / "src.mp4", _frames(5))
    data = src.read_bytes()
    assert b"avc1" in data
    odd = tmp_path / "odd.mp4"
    odd.write_bytes(data.replace(b"avc1", b"zzq9").replace(b"avcC", b"zzqC"))
    with pytest.raises(MediaError):
        probe(odd)
        list(iter_frames(odd))


def test_unsupported_types_and_bad_ranges(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="unsupported"):
        probe(tmp_path / "x.avi")
    with pytest.raises(MediaError):
        FrameRange.parse("9:3")
    with pytest.raises(MediaError):
        FrameRange.parse("abc")
    assert FrameRange.parse("4:") == FrameRange(4, None)
    with pytest.raises(MediaError, match="even"):
        FrameWriter(tmp_path / "o.mp4", width=33, height=21, fps=Fraction(24))


def test_writer_removes_partial_output_on_error(tmp_path: Path) -> None:
    dst = tmp_path / "partial.mp4"
    with pytest.raises(RuntimeError):
        with FrameWriter(dst, width=64, height=48, fps=Fraction(24)) as w:
            w.write(_frames(1)[0])
            raise RuntimeError("boom")
    assert not dst.exists()


def test_read_ahead_keeps_order_and_raises_the_decoders_error_in_place() -> None:
    def decoder():
        yield from range(5)
        raise MediaError("corrupt at frame 5")

    got = []
    with pytest.raises(MediaError, match="frame 5"):
        for item in read_ahead(decoder(), depth=2):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]


def test_read_ahead_closes_the_decoder_when_the_consumer_stops_early() -> None:
    closed = threading.Event()

    def decoder():
        try:
            yield from range(1000)
        finally:
            closed.set()

    frames = read_ahead(decoder(), depth=3)
    assert [next(frames) for _ in range(4)] == [0, 1, 2, 3]
    frames.close()  # what age_video does on a cancellation or an error
    assert closed.is_set()


def test_read_ahead_over_a_real_video_matches_a_plain_read(tmp_path: Path, write_video) -> None:
    src = write_video(tmp_path / "src.mp4", _frames(12))
    plain = read_all(src)
    ahead = list(read_ahead(iter_frames(src), depth=2))
    assert len(ahead) == 12 and all(np.array_equal(a, b) for a, b in zip(plain, ahead, strict=True))


def test_write_behind_writes_in_order_and_surfaces_an_encoder_error(tmp_path: Path) -> None:
    frames = _frames(10)
    dst = tmp_path / "seq"
    with FrameWriter(dst, width=64, height=48, fps=Fraction(24)) as w:
        enc = WriteBehind(w, depth=3)
        for f in frames:
            enc.write(f)
        enc.flush()
        enc.close()
    assert all(np.array_equal(a, b) for a, b in zip(read_all(dst), frames, strict=True))

    dst2 = tmp_path / "bad.mp4"
    with pytest.raises(MediaError, match="does not match"):
        with FrameWriter(dst2, width=64, height=48, fps=Fraction(24)) as w:
            enc = WriteBehind(w, depth=3)
            try:
                enc.write(frames[0])
                enc.write(np.zeros((10, 10, 3), np.uint8))  # wrong size: fails on the writer's thread
                enc.flush()
            finally:
                enc.close()
    assert not dst2.exists()
