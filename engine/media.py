"""Reading and writing plates: MP4/MOV through PyAV, PNG sequences through OpenCV, EXR sequences through
OpenEXR (engine/exr.py).

Frames travel through the engine as ``numpy`` arrays, H x W x 3, ``uint8``, RGB; an EXR frame travels as its
8-bit proxy, and its float values are kept for the writer (``iter_exr_frames``, ``FrameWriter.write``).

Why PyAV for video: OpenCV's pip wheels cannot write H.264, and PyAV lets us copy the source's audio
packets untouched into the output, so an aged plate keeps its sound in sync.
"""
from __future__ import annotations

import os
import queue
import re
import threading
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import av
import cv2
import numpy as np

from engine.errors import MediaError
from engine.exr import ExrFrame, data_window_size, read_exr, read_header, write_exr

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv"}
IMAGE_SUFFIXES = {".png", ".exr"}
# Video codecs a plate can be written with. H.264 4:2:0 is the review copy every player opens; the lossless
# option is H.264 in RGB at qp 0 (libx264rgb): every pixel outside the face decodes bit for bit as the source's;
# ProRes 4444 (MOV only) is the usual editorial delivery, visually lossless (about 57 dB at 12 bits).
VIDEO_CODECS = ("h264", "h264-lossless", "prores")
DEFAULT_SEQUENCE_FPS = Fraction(24, 1)


@dataclass(frozen=True)
class MediaInfo:
    """What a plate is: size, rate, length, and whether it carries audio."""

    path: str
    kind: str  # "video" or "sequence"
    width: int
    height: int
    fps: Fraction
    frame_count: int
    codec: str
    has_audio: bool
    first_frame: int = 0  # a numbered sequence's first frame number (shot.1001.exr: 1001); 0 for a video


@dataclass(frozen=True)
class FrameRange:
    """Half-open range of frame indices [start, stop); ``stop=None`` means to the end."""

    start: int = 0
    stop: int | None = None

    @classmethod
    def parse(cls, text: str | None) -> FrameRange | None:
        """Parse ``"10:50"``, ``"10:"`` or ``":50"`` (Python slice style)."""
        if text is None or text == "":
            return None
        m = re.fullmatch(r"\s*(\d*)\s*:\s*(\d*)\s*", text)
        if not m:
            raise MediaError(f"frame range {text!r} is not of the form START:STOP")
        start = int(m.group(1)) if m.group(1) else 0
        stop = int(m.group(2)) if m.group(2) else None
        if stop is not None and stop <= start:
            raise MediaError(f"frame range {text!r} is empty")
        return cls(start, stop)

    def contains(self, index: int) -> bool:
        return index >= self.start and (self.stop is None or index < self.stop)

    def clamp(self, total: int) -> tuple[int, int]:
        stop = total if self.stop is None else min(self.stop, total)
        return min(self.start, total), stop


def _is_video_path(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def _natural_key(name: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


@dataclass(frozen=True)
class SequenceFiles:
    """The frames of an image sequence in order, and the number of its first frame (``shot.1001.exr``: 1001;
    0 for a folder whose files are not numbered alike)."""

    files: list[Path]
    first_frame: int = 0


# A frame-number placeholder in a sequence's name: printf style (``%04d``, ``%d``) or hashes (``####``).
_PLACEHOLDER = re.compile(r"%0?(\d*)d|#+")


def sequence_pattern(name: str) -> str | None:
    """``shot.####.exr`` or ``shot.%04d.exr`` as a printf pattern (``shot.%04d.exr``); None with no placeholder."""
    found = list(_PLACEHOLDER.finditer(name))
    if not found:
        return None
    if len(found) > 1:
        raise MediaError(f"{name}: more than one frame-number placeholder")
    m = found[0]
    width = len(m.group(0)) if m.group(0).startswith("#") else int(m.group(1) or 0)
    return name[:m.start()].replace("%", "%%") + (f"%0{width}d" if width > 1 else "%d") + name[m.end():].replace("%", "%%")


def _numbered(files: dict[int, Path], where: Path) -> SequenceFiles:
    numbers = sorted(files)
    gaps = [n for n in range(numbers[0], numbers[-1] + 1) if n not in files]
    if gaps:
        more = f" and {len(gaps) - 1} more" if len(gaps) > 1 else ""
        raise MediaError(f"{where}: frame {gaps[0]}{more} missing from the sequence {numbers[0]}-{numbers[-1]}")
    return SequenceFiles([files[n] for n in numbers], numbers[0])


def _sequence_kind(files: list[Path], where: Path) -> None:
    kinds = {p.suffix.lower() for p in files}
    if len(kinds) > 1:
        raise MediaError(f"{where}: the sequence mixes {' and '.join(sorted(kinds))} frames")


def sequence_files(path: Path) -> SequenceFiles:
    """The frames of a PNG or EXR sequence: a folder, or a pattern like ``shot.####.exr`` or ``shot.%04d.png``.

    A numbered sequence must be whole: a missing frame number is refused by name rather than skipped, since
    skipping it would shift every later frame against the edit.
    """
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
        if not files:
            raise MediaError(f"{path}: folder holds no PNG or EXR frames")
        _sequence_kind(files, path)
        # Numbered alike (one prefix and suffix around the last run of digits): checked for gaps.
        parts = [re.fullmatch(r"(.*?)(\d+)(\D*)", p.name) for p in files]
        if all(parts) and len({(m.group(1), m.group(3)) for m in parts if m}) == 1:
            numbered = {int(m.group(2)): p for m, p in zip(parts, files, strict=True) if m}
            if len(numbered) == len(files):
                return _numbered(numbered, path)
        return SequenceFiles(sorted(files, key=lambda p: _natural_key(p.name)))
    if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
        return SequenceFiles([path])  # one image, whatever its name holds ("take#2.png")
    pattern = sequence_pattern(path.name)
    if pattern is not None:
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise MediaError(f"{path}: unsupported sequence type {path.suffix or '(no suffix)'!r}; use PNG or EXR")
        m = _PLACEHOLDER.search(path.name)
        assert m is not None  # sequence_pattern found one
        regex = re.compile("^" + re.escape(path.name[:m.start()]) + r"(\d+)" + re.escape(path.name[m.end():]) + "$")
        folder = path.parent
        if not folder.is_dir():
            raise MediaError(f"{path}: folder {folder} does not exist")
        by_number: dict[int, Path] = {}
        for p in folder.iterdir():
            hit = regex.match(p.name)
            if hit:
                n = int(hit.group(1))
                if n in by_number:
                    raise MediaError(f"{path}: frame {n} is there twice ({by_number[n].name}, {p.name})")
                by_number[n] = p
        if not by_number:
            raise MediaError(f"{path}: no frames match the pattern")
        return _numbered(by_number, path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        if not path.is_file():
            raise MediaError(f"{path}: file does not exist")
        return SequenceFiles([path])
    raise MediaError(f"{path}: unsupported media type {path.suffix or '(no suffix)'!r}; use MP4, MOV, PNG or EXR")


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one PNG/JPEG as RGB uint8 (16-bit PNGs are scaled down to 8 bits), or an EXR frame's proxy."""
    if Path(path).suffix.lower() == ".exr":
        return read_exr(path).proxy
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if data is None:
        raise MediaError(f"{path}: cannot decode image (corrupt or not an image)")
    if data.dtype == np.uint16:
        data = (data / 257.0 + 0.5).astype(np.uint8)
    if data.ndim == 2:
        data = cv2.cvtColor(data, cv2.COLOR_GRAY2RGB)
    elif data.shape[2] == 4:
        data = cv2.cvtColor(data, cv2.COLOR_BGRA2RGB)
    else:
        data = cv2.cvtColor(data, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(data)


def write_image(path: str | os.PathLike[str], frame: np.ndarray) -> None:
    if not cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)):
        raise MediaError(f"{path}: cannot write image")


def _open_container(path: str) -> av.container.InputContainer:
    if not os.path.isfile(path):
        raise MediaError(f"{path}: file does not exist")
    if os.path.getsize(path) == 0:
        raise MediaError(f"{path}: file is empty (0 bytes)")
    try:
        return av.open(path, mode="r")
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: cannot open video (corrupt or truncated?): {exc}") from exc


def _video_stream(container: av.container.InputContainer, path: str) -> av.video.stream.VideoStream:
    if not container.streams.video:
        raise MediaError(f"{path}: file has no video stream")
    stream = container.streams.video[0]
    if stream.codec_context is None or stream.codec_context.name in ("", "none"):
        raise MediaError(f"{path}: unsupported video codec (no decoder available)")
    return stream


def _stream_fps(stream: av.video.stream.VideoStream) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return Fraction(rate) if rate else DEFAULT_SEQUENCE_FPS


def probe(path: str | os.PathLike[str], *, sequence_fps: Fraction = DEFAULT_SEQUENCE_FPS) -> MediaInfo:
    """Describe a plate without decoding all of it (the frame count may be counted by demuxing)."""
    spath = str(path)
    if _is_video_path(spath):
        container = _open_container(spath)
        try:
            stream = _video_stream(container, spath)
            frames = stream.frames
            if not frames:
                # Some muxers do not record a count: count packets instead of decoding.
                frames = sum(1 for p in container.demux(stream) if p.size > 0)
            if frames == 0:
                raise MediaError(f"{spath}: video has no frames")
            return MediaInfo(
                path=spath, kind="video", width=stream.codec_context.width, height=stream.codec_context.height,
                fps=_stream_fps(stream), frame_count=int(frames), codec=stream.codec_context.name,
                has_audio=bool(container.streams.audio),
            )
        except av.FFmpegError as exc:
            raise MediaError(f"{spath}: cannot read video: {exc}") from exc
        finally:
            container.close()
    seq = sequence_files(Path(spath))
    exr = seq.files[0].suffix.lower() == ".exr"
    if exr:
        width, height = data_window_size(read_header(seq.files[0]))
    else:
        first = read_image(seq.files[0])
        width, height = first.shape[1], first.shape[0]
    return MediaInfo(path=spath, kind="sequence", width=width, height=height, fps=sequence_fps,
                     frame_count=len(seq.files), codec="exr" if exr else "png", has_audio=False,
                     first_frame=seq.first_frame)


def _same_size(frame_size: tuple[int, int], first: tuple[int, int] | None, path: Path) -> tuple[int, int]:
    if first is not None and frame_size != first:
        raise MediaError(f"{path}: frame is {frame_size[0]}x{frame_size[1]}, the sequence's first "
                         f"{first[0]}x{first[1]}")
    return frame_size


def iter_frames(path: str | os.PathLike[str], frame_range: FrameRange | None = None) -> Iterator[np.ndarray]:
    """Yield RGB frames of a video or PNG sequence, restricted to ``frame_range``.

    Raises ``MediaError`` for corrupt data, an undecodable codec, or when no frame at all decodes.
    """
    spath = str(path)
    rng = frame_range or FrameRange()
    yielded = 0
    if _is_video_path(spath):
        container = _open_container(spath)
        try:
            stream = _video_stream(container, spath)
            stream.thread_type = "AUTO"  # frame + slice threads: decoding is often the slowest stage on CPU
            index = 0
            try:
                for frame in container.decode(stream):
                    if rng.stop is not None and index >= rng.stop:
                        break
                    if index >= rng.start:
                        yield frame.to_ndarray(format="rgb24")
                        yielded += 1
                    index += 1
            except av.FFmpegError as exc:
                raise MediaError(f"{spath}: video data is corrupt at frame {index}: {exc}") from exc
            if index == 0:
                raise MediaError(f"{spath}: no frame could be decoded (empty, truncated or unsupported codec)")
        finally:
            container.close()
    else:
        files = sequence_files(Path(spath)).files
        start, stop = rng.clamp(len(files))
        size: tuple[int, int] | None = None
        for f in files[start:stop]:
            image = read_image(f)
            size = _same_size((image.shape[1], image.shape[0]), size, f)
            yield image
            yielded += 1
    if yielded == 0 and rng.start > 0:
        raise MediaError(f"{spath}: frame range starts at {rng.start}, past the last frame")


def iter_exr_frames(path: str | os.PathLike[str], frame_range: FrameRange | None = None) -> Iterator[ExrFrame]:
    """Yield the frames of an EXR sequence with their float values (``.proxy`` is what the engine sees)."""
    files = sequence_files(Path(path)).files
    if files[0].suffix.lower() != ".exr":
        raise MediaError(f"{path}: not an EXR sequence")
    start, stop = (frame_range or FrameRange()).clamp(len(files))
    if start >= len(files):
        raise MediaError(f"{path}: frame range starts at {start}, past the last frame")
    size: tuple[int, int] | None = None
    for f in files[start:stop]:
        frame = read_exr(f)
        size = _same_size((frame.proxy.shape[1], frame.proxy.shape[0]), size, f)
        yield frame


def read_all(path: str | os.PathLike[str], frame_range: FrameRange | None = None) -> list[np.ndarray]:
    return list(iter_frames(path, frame_range))


class _AudioCopier:
    """Copies the source's audio packets into the output, interleaved with the video by time.

    Only the audio that falls inside the written frame range is copied, shifted to start at zero, so a
    trimmed plate stays in sync.
    """

    def __init__(self, src: str, out: av.container.OutputContainer, start_s: float, stop_s: float | None) -> None:
        self._src = av.open(src)
        in_stream = self._src.streams.audio[0]
        self._in_stream = in_stream
        self._out_stream = out.add_stream_from_template(in_stream)
        self._out = out
        self._start_s = start_s
        self._stop_s = stop_s
        self._packets = self._src.demux(in_stream)
        self._pending: av.Packet[av.AudioStream] | None = None
        self._done = False

    def mux_until(self, t_s: float | None) -> None:
        """Mux audio packets with presentation time before ``t_s`` (None: all that remain)."""
        tb = self._in_stream.time_base
        while not self._done:
            pkt = self._pending
            self._pending = None
            if pkt is None:
                try:
                    pkt = next(self._packets)
                except (StopIteration, av.FFmpegError):
                    self._done = True
                    return
            if pkt.pts is None or pkt.size == 0:
                continue
            if tb is None:  # FFmpeg gives every demuxed stream a time base
                raise MediaError("the source's audio stream has no time base: its packets cannot be placed in time")
            ts = float(pkt.pts * tb)
            if t_s is not None and ts > t_s:
                self._pending = pkt
                return
            if ts < self._start_s:
                continue
            if self._stop_s is not None and ts >= self._stop_s:
                self._done = True
                return
            shift = int(round(self._start_s / tb))
            pkt.pts -= shift
            if pkt.dts is not None:
                pkt.dts -= shift
            pkt.stream = self._out_stream
            self._out.mux(pkt)

    def close(self) -> None:
        self._src.close()


class FrameWriter:
    """Writes RGB frames to a video (PyAV: H.264, lossless H.264 or ProRes; see ``VIDEO_CODECS``) or to a PNG or
    EXR sequence.

    A sequence target is a folder (PNG frames named ``frame_000000.png``) or a pattern such as
    ``out/shot.####.exr`` or ``out/shot.%04d.png``, numbered from ``first_frame``. Use as a context manager; on
    an exception the partial output is removed.
    """

    def __init__(self, path: str | os.PathLike[str], *, width: int, height: int, fps: Fraction,
                 audio_from: str | None = None, frame_range: FrameRange | None = None,
                 crf: int = 18, preset: str = "veryfast", codec: str = "h264", first_frame: int = 0) -> None:
        self.path = str(path)
        self.width, self.height, self.fps = width, height, Fraction(fps)
        self.frames_written = 0
        self.first_frame = first_frame
        self._created_files: list[Path] = []
        self._container: av.container.OutputContainer | None = None
        self._audio: _AudioCopier | None = None
        self._exr = False
        if codec not in VIDEO_CODECS:
            raise MediaError(f"unknown codec {codec!r}; choose one of {', '.join(VIDEO_CODECS)}")
        if first_frame < 0:
            raise MediaError(f"first frame number {first_frame} is negative")
        if _is_video_path(self.path):
            self._open_video(codec, crf, preset, audio_from, frame_range)
            return
        if codec != "h264":
            raise MediaError(f"{self.path}: the {codec} codec is for video outputs; a sequence is PNG or EXR by its suffix")
        p = Path(self.path)
        pattern = sequence_pattern(p.name)
        if pattern is not None:
            if p.suffix.lower() not in IMAGE_SUFFIXES:
                raise MediaError(f"{p}: unsupported sequence type {p.suffix or '(no suffix)'!r}; use .png or .exr")
            self._pattern = str(p.with_name(pattern))
            self._exr = p.suffix.lower() == ".exr"
            p.parent.mkdir(parents=True, exist_ok=True)
        elif p.suffix.lower() in IMAGE_SUFFIXES or p.suffix.lower() in VIDEO_SUFFIXES:
            raise MediaError(f"{p}: give a folder, or a pattern like shot.####.exr or shot.%04d.png, for a sequence")
        elif p.suffix:
            raise MediaError(f"{p}: unsupported output type {p.suffix!r}; use .mp4, .mov, a PNG folder or an "
                             f"EXR pattern")
        else:
            p.mkdir(parents=True, exist_ok=True)
            self._pattern = str(p / "frame_%06d.png")

    def _open_video(self, codec: str, crf: int, preset: str, audio_from: str | None,
                    frame_range: FrameRange | None) -> None:
        width, height = self.width, self.height
        if codec == "prores" and Path(self.path).suffix.lower() != ".mov":
            raise MediaError(f"{self.path}: ProRes is written to a .mov file")
        if codec == "h264" and (width % 2 or height % 2):
            raise MediaError(f"H.264 4:2:0 needs an even frame size; got {width}x{height}. Write the lossless codec "
                             f"or a sequence instead")
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._container = av.open(self.path, mode="w")
            if codec == "h264":
                stream = self._container.add_stream("libx264", rate=self.fps)
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(crf), "preset": preset}
            elif codec == "h264-lossless":
                stream = self._container.add_stream("libx264rgb", rate=self.fps)
                stream.pix_fmt = "rgb24"
                stream.options = {"qp": "0", "preset": preset}
            else:
                stream = self._container.add_stream("prores_ks", rate=self.fps)
                stream.pix_fmt = "yuv444p10le"
                stream.options = {"profile": "4"}  # 4444
            stream.width, stream.height = width, height
            stream.thread_type = "AUTO"
            self._stream = stream
            if audio_from and _is_video_path(audio_from):
                probe_c = av.open(audio_from)
                has_audio = bool(probe_c.streams.audio)
                probe_c.close()
                if has_audio:
                    rng = frame_range or FrameRange()
                    start_s = rng.start / self.fps
                    stop_s = None if rng.stop is None else rng.stop / self.fps
                    self._audio = _AudioCopier(audio_from, self._container, float(start_s),
                                               None if stop_s is None else float(stop_s))
        except av.FFmpegError as exc:
            self._abort()
            raise MediaError(f"{self.path}: cannot create video: {exc}") from exc

    def write(self, frame: np.ndarray, plate: ExrFrame | None = None) -> None:
        """Write one frame. ``plate`` is the EXR frame it was made from, when there is one: an EXR output then
        keeps the plate's float values wherever ``frame`` leaves its proxy unchanged."""
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise MediaError(f"frame of shape {frame.shape} {frame.dtype} does not match {self.height}x{self.width}x3 uint8")
        if self._container is not None:
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts = self.frames_written
            vf.time_base = 1 / self.fps
            if self._audio is not None:
                self._audio.mux_until(float(self.frames_written / self.fps))
            for pkt in self._stream.encode(vf):
                self._container.mux(pkt)
        else:
            target = Path(self._pattern % (self.first_frame + self.frames_written))
            # Recorded before writing: a frame that fails half-way is removed with the rest.
            self._created_files.append(target)
            if self._exr:
                write_exr(target, plate.with_proxy(frame) if plate is not None else ExrFrame.from_proxy(frame))
            else:
                write_image(target, frame)
        self.frames_written += 1

    @property
    def created_files(self) -> list[Path]:
        """The sequence frames written so far (none for a video)."""
        return list(self._created_files)

    def close(self) -> None:
        if self._container is not None:
            for pkt in self._stream.encode(None):
                self._container.mux(pkt)
            if self._audio is not None:
                self._audio.mux_until(None)
                self._audio.close()
            self._container.close()
            self._container = None

    def _abort(self) -> None:
        try:
            if self._audio is not None:
                self._audio.close()
            if self._container is not None:
                self._container.close()
        except Exception:  # we are already failing; removing the file matters more
            pass
        self._container = None
        remove_output(self.path, self._created_files)

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self._abort()


def remove_output(path: str, created: list[Path] | None = None) -> None:
    """Remove a partial output: the video file, or the frames this writer created."""
    p = Path(path)
    if p.is_file():
        p.unlink()
    for f in created or []:
        if f.exists():
            f.unlink()
    if p.is_dir():
        try:
            p.rmdir()  # only when empty: never remove a user's folder with other files in it
        except OSError:
            pass


T = TypeVar("T")
_END = object()


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def read_ahead(items: Iterator[T], depth: int = 8) -> Generator[T, None, None]:
    """Run ``items`` (a decoder) in a background thread, ``depth`` items ahead of the consumer.

    Decoding then overlaps the model and compositing instead of adding to them: on a GPU worker the CPU
    stages, not the model, bound the frame rate; FFmpeg's native decoding overlaps well with them (the
    H100 benchmark in docs/engine.md: the main loop hardly waits for frames). An exception in
    the decoder is raised in the consumer at the item where it happened; when the consumer stops early
    (an error, a cancellation) the decoder is closed, so its file is released.
    """
    q: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Raised(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=run, name="frame-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()


class WriteBehind:
    """Encode frames on a background thread, at most ``depth`` frames behind the producer.

    Frames are written in order by one thread. An encoder error is raised by the next ``write`` or by
    ``flush``; ``close`` drops what is still queued (the caller is failing and removes the output).
    """

    def __init__(self, writer: FrameWriter, depth: int = 8) -> None:
        self._writer = writer
        self._depth = max(1, depth)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-writer")
        self._pending: deque[Future[None]] = deque()

    def write(self, frame: np.ndarray, plate: ExrFrame | None = None) -> None:
        self._pending.append(self._pool.submit(self._writer.write, frame, plate))
        while len(self._pending) > self._depth or (self._pending and self._pending[0].done()):
            self._pending.popleft().result()

    def flush(self) -> None:
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()
