"""The review player, shared by the job's review page and the output's page (where the performer's side approves
it): the plate as filmed beside the output as aged, as a wipe, or as their difference, stepped frame by frame
or played at the plate's frame rate. Frames are decoded on the server into JPEGs, so any codec a plate arrives
in can be reviewed (a browser's video element plays few of the codecs films are shot in)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Any

from django.core.files import File
from django.http import Http404, HttpRequest, HttpResponse

log = logging.getLogger(__name__)
SOURCES = ("plate", "output", "difference")
MODES = ("side", "wipe", "difference")
# The difference image shows |output - plate| this many times brighter: a change of a few levels in a face
# (what an age change is made of) becomes visible, and untouched pixels stay black.
DIFFERENCE_GAIN = 4.0


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


@dataclass(frozen=True)
class Reviewed:
    """What is reviewed: the plate and the output files, where the output starts in the plate, how many frames."""
    plate: File
    output: File
    frame_start: int
    frames: int
    label: str  # for the log: the job or output id


def _read(stored: File, index: int, what: str, label: str) -> Any:
    from engine.errors import MediaError

    try:
        with stored.open("rb") as handle:
            image = decode_frame(handle, index)
    except (OSError, MediaError, ValueError) as exc:
        log.warning("frame %s of the %s of %s could not be decoded: %s", index, what, label, exc)
        raise Http404("the frame could not be read") from exc
    except Exception as exc:  # PyAV's FFmpegError family: a corrupt file is a missing frame to the page
        if type(exc).__module__.startswith("av"):
            raise Http404("the frame could not be read") from exc
        raise
    if image is None:
        raise Http404(f"the {what} has no frame {index}")
    return image


def frame_response(reviewed: Reviewed, source: str, n: int) -> HttpResponse:
    """Frame n of the output, the plate frame it was made from, or their difference, as a JPEG. Only inside the
    rendered range. The caller has checked that the user may see what is reviewed."""
    import cv2

    if source not in SOURCES:
        raise Http404("frames come from the plate, the output or their difference")
    if not 0 <= n < reviewed.frames:
        raise Http404(f"frame {n} is outside the rendered range 0-{reviewed.frames - 1}")
    if source == "plate":
        image = _read(reviewed.plate, n + reviewed.frame_start, "plate", reviewed.label)
    elif source == "output":
        image = _read(reviewed.output, n, "output", reviewed.label)
    else:
        plate = _read(reviewed.plate, n + reviewed.frame_start, "plate", reviewed.label)
        output = _read(reviewed.output, n, "output", reviewed.label)
        if plate.shape != output.shape:
            plate = cv2.resize(plate, (output.shape[1], output.shape[0]), interpolation=cv2.INTER_AREA)
        image = cv2.convertScaleAbs(cv2.absdiff(output, plate), alpha=DIFFERENCE_GAIN)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise Http404("the frame could not be encoded")
    response = HttpResponse(jpeg.tobytes(), content_type="image/jpeg")
    # Pixels of a stored file never change (release adds a manifest, not new frames); the page is private.
    response["Cache-Control"] = "private, max-age=3600"
    return response


def player_context(request: HttpRequest, *, frames: int, frame_start: int, fps: float, width: int, height: int,
                   url_for: Any) -> dict[str, Any]:
    """The player's template context. `url_for(source, n)` is the frame route of what is reviewed. The frame,
    mode and wipe come from the query string, so a frame can be shared or reloaded, and the page works without
    JavaScript (links and a form reload it)."""
    last = max(frames - 1, 0)
    try:
        frame = min(max(int(request.GET.get("frame", 0)), 0), last)
    except ValueError:
        frame = 0
    mode = request.GET.get("mode") if request.GET.get("mode") in MODES else "side"
    try:
        wipe = min(max(int(request.GET.get("wipe", 50)), 0), 100)
    except ValueError:
        wipe = 50

    def template(source: str) -> str:
        # The script swaps {n} for the frame number; the server-side links use the same route.
        return str(url_for(source, 0)).removesuffix("0.jpg") + "{n}.jpg"

    return {"frames": frames, "frame": frame, "last": last, "mode": mode, "wipe": wipe, "plate_offset": frame_start,
            "fps": fps or 24.0, "width": width, "height": height,
            "plate_template": template("plate"), "output_template": template("output"),
            "difference_template": template("difference"),
            "plate_src": url_for("plate", frame), "output_src": url_for("output", frame),
            "difference_src": url_for("difference", frame)}
