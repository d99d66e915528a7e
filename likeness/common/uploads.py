"""Uploaded files, checked before anything trusts them: what a file is comes from its bytes (a name or a client's
content type can lie), how many pixels it holds comes from its headers before anything decodes it (an 875 KB PNG
can inflate to gigabytes), and storing it leaves nothing half-written when the disk is full.

The API serializers, the web forms and the services call these same functions, so an upload is judged the same
way wherever it enters. Every refusal is a ValidationError keyed by the field the file travelled in.
"""
from __future__ import annotations

import errno
import hashlib
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.db.models.fields.files import FieldFile

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
TIFF = "image/tiff"
MP4 = "video/mp4"
MOV = "video/quicktime"
IMAGES = frozenset({PNG, JPEG, WEBP, TIFF})
VIDEOS = frozenset({MP4, MOV})
SUFFIXES = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", WEBP: ".webp", TIFF: ".tif", MP4: ".mp4", MOV: ".mov"}
LABELS = {PDF: "a PDF", PNG: "a PNG image", JPEG: "a JPEG image", WEBP: "a WebP image", TIFF: "a TIFF image",
          MP4: "an MP4 video", MOV: "a MOV (QuickTime) video"}
# QuickTime files written before the ISO base media format open with one of these atoms instead of `ftyp`.
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
STORAGE_FULL = ("the server could not store the file: its storage is full. Nothing was saved; try again later or "
                "tell your operator")


def sniff(head: bytes) -> str | None:
    """The type of a file from its first bytes (at least 16; 1024 lets a PDF have a little junk before %PDF-),
    or None when it is none of the types the platform accepts."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[4:8] == b"ftyp":
        return MOV if head[8:12].startswith(b"qt") else MP4
    if head[4:8] in _QUICKTIME_ATOMS:
        return MOV
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head.lstrip().startswith(b"%PDF-"):
        return PDF
    return None


def sniff_stream(stream: IO[bytes]) -> str | None:
    stream.seek(0)
    head = stream.read(1024)
    stream.seek(0)
    return sniff(head)


def require_type(stream: IO[bytes], *, field: str, allowed: Collection[str]) -> str:
    """The upload's type, decided by its content; a 400 naming `field` when it is not one of `allowed`."""
    kind = sniff_stream(stream)
    if kind is None or kind not in allowed:
        wanted = " or ".join(LABELS[k] for k in sorted(allowed, key=list(LABELS).index))
        found = f"its content is {LABELS[kind]}" if kind else "its content is of no type the platform reads"
        raise ValidationError({field: [f"the file is not {wanted}: {found} (the content decides, not the file "
                                       "name)"]})
    return kind


# ----- pixels, from headers only ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pictures:
    """What a file's headers say it holds: frame size and number of frames (0: the header does not say)."""

    width: int
    height: int
    frames: int = 1

    @property
    def per_frame(self) -> int:
        return self.width * self.height


def image_header(stream: IO[bytes]) -> Pictures | None:
    """Width and height from an image's header (Pillow reads the header and stops); None when unreadable.

    A size past Pillow's own bomb threshold is reported as what the header says (Pillow refuses to go on)."""
    from PIL import Image

    stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream) as image:  # lazy: no pixel is decoded here
                return Pictures(*image.size, frames=int(getattr(image, "n_frames", 1) or 1))
    except Image.DecompressionBombError as exc:
        return _bomb_size(exc)
    except Exception:  # any unreadable header is simply "no header"; the caller decides
        return None
    finally:
        stream.seek(0)


def _bomb_size(exc: Exception) -> Pictures:
    # Pillow's message: "Image size (400000000 pixels) exceeds limit of ...": the header's product is all it says.
    import re

    found = re.search(r"\((\d+) pixels\)", str(exc))
    pixels = int(found.group(1)) if found else 2 ** 62
    return Pictures(width=pixels, height=1)


def video_header(source: str | IO[bytes]) -> Pictures | None:
    """Frame size and frame count from a video's container headers, without decoding a frame; None when
    unreadable. The count comes from the header, else from the duration and frame rate (0 when neither)."""
    import av

    if not isinstance(source, str):
        source.seek(0)
    try:
        with av.open(source, mode="r") as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            frames = int(stream.frames or 0)
            if not frames:
                rate = stream.average_rate or stream.guessed_rate
                seconds = (float(stream.duration * stream.time_base) if stream.duration and stream.time_base
                           else (container.duration or 0) / 1_000_000)
                frames = int(seconds * float(rate)) if rate and seconds else 0
            return Pictures(width=int(width), height=int(height), frames=frames)
    except Exception:  # av raises many kinds; an unreadable header is "no header"
        return None
    finally:
        if not isinstance(source, str):
            source.seek(0)


def _pixels(n: int) -> str:
    return f"{n / 1e9:.1f} gigapixels" if n >= 1e9 else f"{n / 1e6:.1f} Mpx" if n >= 1e5 else f"{n} pixels"


def pixel_refusal(pictures: Pictures, *, video: bool) -> str | None:
    """Why these pictures are too big to decode here, or None. Stills: LIKENESS_MAX_IMAGE_PIXELS. Videos:
    LIKENESS_PLATE_MAX_PIXELS_PER_FRAME per frame and LIKENESS_PLATE_MAX_TOTAL_PIXELS for frames x pixels."""
    if pictures.width <= 0 or pictures.height <= 0:
        # FFmpeg reports 0 x 0 for a frame size it will not handle (30000 x 30000 is past its own limit).
        return "the header gives no usable frame size (0 x 0, or one too large for the decoder)"
    per_frame_cap = settings.PLATE_MAX_PIXELS_PER_FRAME if video else settings.MAX_IMAGE_PIXELS
    size = f"{pictures.width} x {pictures.height}" if pictures.height > 1 else f"{pictures.width} pixels"
    if pictures.per_frame > per_frame_cap:
        what = "each frame" if video else "the image"
        setting = "LIKENESS_PLATE_MAX_PIXELS_PER_FRAME" if video else "LIKENESS_MAX_IMAGE_PIXELS"
        return f"{what} is {size} ({_pixels(pictures.per_frame)}); the limit is {_pixels(per_frame_cap)} ({setting})"
    total = pictures.per_frame * max(pictures.frames, 1)
    if video and total > settings.PLATE_MAX_TOTAL_PIXELS:
        return (f"the video is {pictures.frames} frames of {size}, {_pixels(total)} in all; the limit is "
                f"{_pixels(settings.PLATE_MAX_TOTAL_PIXELS)} (LIKENESS_PLATE_MAX_TOTAL_PIXELS)")
    return None


def too_many_pixels(stream: IO[bytes], kind: str | None, *, unreadable: str | None = None) -> str | None:
    """Why an image or video upload is too big to decode, read from its headers; None when it is within the caps.

    `unreadable`: the answer for headers that cannot be read (None: let the file through, e.g. one to verify,
    whose report then says it is unreadable; nothing downstream decodes a picture without this check)."""
    if kind not in IMAGES | VIDEOS:
        return None
    pictures = image_header(stream) if kind in IMAGES else video_header(stream)
    if pictures is None:
        return unreadable
    why = pixel_refusal(pictures, video=kind in VIDEOS)
    return f"refused before decoding: {why}" if why else None


def require_pixels_within_caps(stream: IO[bytes], *, field: str, kind: str | None,
                               unreadable: str | None = None) -> None:
    """A 400 naming `field` for an image or video upload whose headers say it is too big to decode."""
    why = too_many_pixels(stream, kind, unreadable=unreadable)
    if why:
        raise ValidationError({field: [why]})


def check_upload_to_read(upload: IO[bytes]) -> None:
    """For a file that is only read (verify, registry lookup) by a form or serializer field: any type is accepted,
    but a picture too big to decode is refused (the field's ValidationError, in the caller's field)."""
    why = too_many_pixels(upload, sniff_stream(upload))
    if why:
        raise ValidationError(why)


# ----- storing ------------------------------------------------------------------------------------------------

def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def save_whole(storage: Storage, target: str, content: File[Any], *, max_length: int | None = None) -> str:
    """storage.save(target, content), except that a write that fails removes the partial file before its
    OSError goes on: no stored name ever points at half a file. `target` comes from get_available_name, so the
    partial file's name is known."""
    try:
        return storage.save(target, content, max_length=max_length)
    except OSError:
        try:
            if storage.exists(target):
                storage.delete(target)
        except OSError:
            pass  # the partial file could not be removed either; the caller's refusal still stands
        raise


def save_to_field(fieldfile: FieldFile, name: str, content: File[Any] | IO[bytes], *, field: str) -> str:
    """FieldFile.save(name, content, save=False), except that a write that fails (a full disk) removes the partial
    file and becomes a 400 naming `field`: no record can point at half a file. Returns the stored name."""
    storage = fieldfile.storage
    # Chosen here, not inside storage.save, so the partial file's name is known if the write fails. Stored names
    # carry the record's id, so no concurrent upload picks the same one.
    target = storage.get_available_name(fieldfile.field.generate_filename(fieldfile.instance, name),
                                        max_length=fieldfile.field.max_length)
    try:
        stored = save_whole(storage, target, content if isinstance(content, File) else File(content, name=name),
                            max_length=fieldfile.field.max_length)
    except OSError as exc:
        if is_disk_full(exc):
            raise ValidationError({field: [STORAGE_FULL]}) from exc
        raise ValidationError({field: [f"the server could not store the file ({exc.strerror or exc}); nothing was "
                                       "saved"]}) from exc
    fieldfile.name = stored
    setattr(fieldfile.instance, fieldfile.field.attname, stored)
    fieldfile._committed = True  # type: ignore[attr-defined]  # FieldFile.save sets it too; the stubs omit it
    return stored


class UploadNotStored(SuspiciousOperation):
    """An upload's temp file could not be written (a full disk). A SuspiciousOperation so that Django answers 400
    wherever the body is parsed (a view, the CSRF check); the API answers it with the field named."""

    def __init__(self, field: str, message: str = STORAGE_FULL):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class GuardedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's temp-file upload handler, except that a failed write removes the partial temp file at once and
    ends the request with UploadNotStored (a 400 naming the field) instead of an OSError (a 500). It also hashes
    the file as it arrives (`upload.sha256`), while the bytes are in hand anyway: verifying a large file then
    needs no second pass over it for the registry's hash."""

    def _refuse(self, exc: OSError) -> UploadNotStored:
        self.upload_interrupted()  # closes and removes the partial temp file
        message = STORAGE_FULL if is_disk_full(exc) else f"the upload could not be written ({exc.strerror or exc})"
        return UploadNotStored(self.field_name or "file", message)

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self._sha256 = hashlib.sha256()
        try:
            super().new_file(*args, **kwargs)
        except OSError as exc:
            raise self._refuse(exc) from exc

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._sha256.update(raw_data)
        try:
            return super().receive_data_chunk(raw_data, start)
        except OSError as exc:
            raise self._refuse(exc) from exc

    def file_complete(self, file_size: int) -> Any:
        try:
            done = super().file_complete(file_size)  # seek(0) flushes the last buffered bytes
        except OSError as exc:
            raise self._refuse(exc) from exc
        if done is None:
            raise self._refuse(OSError("the upload ended before its file was complete"))
        done.sha256 = self._sha256.hexdigest()  # type: ignore[attr-defined]  # read back by the services
        return done
