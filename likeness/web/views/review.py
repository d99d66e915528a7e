"""The review player, shared by the job's review page and the output's page (where the performer's side approves
it): the plate as filmed beside the output as aged, as a wipe, or as their difference, stepped frame by frame
or played at the plate's frame rate. Frames are decoded on the server into JPEGs (likeness.jobs.review_media),
so any codec a plate arrives in can be reviewed (a browser's video element plays few of the codecs films are shot
in). The views here only check the request and answer it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.files import File
from django.http import Http404, HttpRequest, HttpResponse

from likeness.jobs.review_media import SOURCES, FrameUnavailable, review_frame_jpeg

MODES = ("side", "wipe", "difference")


@dataclass(frozen=True)
class Reviewed:
    """What is reviewed: the plate and the output files, where the output starts in the plate, how many frames."""
    plate: File
    output: File
    frame_start: int
    frames: int
    label: str  # for the log: the job or output id


def frame_response(reviewed: Reviewed, source: str, n: int) -> HttpResponse:
    """Frame n of the output, the plate frame it was made from, or their difference, as a JPEG. Only inside the
    rendered range. The caller has checked that the user may see what is reviewed."""
    if source not in SOURCES:
        raise Http404("frames come from the plate, the output or their difference")
    if not 0 <= n < reviewed.frames:
        raise Http404(f"frame {n} is outside the rendered range 0-{reviewed.frames - 1}")
    try:
        jpeg = review_frame_jpeg(source=source, plate=reviewed.plate, output=reviewed.output,
                                 plate_index=n + reviewed.frame_start, output_index=n, label=reviewed.label)
    except FrameUnavailable as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(jpeg, content_type="image/jpeg")
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
