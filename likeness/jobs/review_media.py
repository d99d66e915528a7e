"""Frames for the review player: one frame of a stored plate or output decoded (PyAV), or the two frames'
difference image (OpenCV), encoded as a JPEG. No request, no response and no permission check here: the review
views decide who may see what and turn `FrameUnavailable` into a 404.

PyAV and OpenCV are imported when a frame is asked for, not when the web process imports this module; neither
brings in torch (the web process never imports it).
"""
from __future__ import annotations

import logging
from fractions import Fraction
from typing import IO, Any

from django.core.files import File

log = logging.getLogger(__name__)
SOURCES = ("plate", "output", "difference")
# The difference image shows |output - plate| this many times brighter: a change of a few levels in a face
# (what an age change is made of) becomes visible, and untouched pixels stay black.
DIFFERENCE_GAIN = 4.0
JPEG_QUALITY = 90


class FrameUnavailable(Exception):
    """The frame asked for is not there or cannot be read or encoded; the message says which, for the user."""


def decode_frame(handle: IO[bytes], index: int) -> Any:
    """Frame `index` (0-based, presentation order) of a video as a BGR array, or None past the end.

    Seeks to the keyframe before the frame's timestamp and decodes forward, so a frame late in a long plate
    costs one GOP, not the whole file; if the container's timestamps cannot be trusted, decodes from the start.
    """
    import av

    container = av.open(handle, mode="r")
    try:
        stream = container.streams.video[0]
        rate, base, start = stream.average_rate or stream.guessed_rate, stream.time_base, stream.start_time or 0
        if rate and base:
            target = start + int(Fraction(index) / Fraction(rate) / Fraction(base))
            container.seek(target, stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                if frame.pts is None:
                    break
                at = round((frame.pts - start) * Fraction(base) * Fraction(rate))
                if at == index:
                    return frame.to_ndarray(format="bgr24")
                if at > index:
                    break  # the seek overshot (odd timestamps): fall back to counting
        container.seek(0, stream=stream)
        for at, frame in enumerate(container.decode(stream)):
            if at == index:
                return frame.to_ndarray(format="bgr24")
        return None
    finally:
        container.close()


def read_frame(stored: File, index: int, *, what: str, label: str) -> Any:
    """Frame `index` of a stored video as a BGR array. `what` (plate, output) and `label` (the job or output)
    name it in the refusal and the log."""
    from engine.errors import MediaError

    try:
        with stored.open("rb") as handle:
            image = decode_frame(handle, index)
    except (OSError, MediaError, ValueError) as exc:
        log.warning("frame %s of the %s of %s could not be decoded: %s", index, what, label, exc)
        raise FrameUnavailable("the frame could not be read") from exc
    except Exception as exc:  # PyAV's FFmpegError family: a corrupt file is a missing frame to the page
        if type(exc).__module__.startswith("av"):
            raise FrameUnavailable("the frame could not be read") from exc
        raise
    if image is None:
        raise FrameUnavailable(f"the {what} has no frame {index}")
    return image


def difference_image(output: Any, plate: Any) -> Any:
    """|output - plate|, brightened by DIFFERENCE_GAIN; the plate is scaled to the output's size first."""
    import cv2

    if plate.shape != output.shape:
        plate = cv2.resize(plate, (output.shape[1], output.shape[0]), interpolation=cv2.INTER_AREA)
    return cv2.convertScaleAbs(cv2.absdiff(output, plate), alpha=DIFFERENCE_GAIN)


def review_frame_jpeg(*, source: str, plate: File, output: File, plate_index: int, output_index: int,
                      label: str) -> bytes:
    """The plate's frame `plate_index`, the output's frame `output_index` (the one made from it), or their
    difference, as JPEG bytes. Raises FrameUnavailable when a frame is missing or unreadable."""
    import cv2

    if source not in SOURCES:
        raise FrameUnavailable("frames come from the plate, the output or their difference")
    if source == "plate":
        image = read_frame(plate, plate_index, what="plate", label=label)
    elif source == "output":
        image = read_frame(output, output_index, what="output", label=label)
    else:
        filmed = read_frame(plate, plate_index, what="plate", label=label)
        image = difference_image(read_frame(output, output_index, what="output", label=label), filmed)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise FrameUnavailable("the frame could not be encoded")
    return jpeg.tobytes()
