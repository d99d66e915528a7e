"""Bounded input on the API: every bad upload is a clear 4xx naming its field or limit, never a 500, and leaves
nothing behind: no row, no audit event, no file under MEDIA_ROOT, no upload temp file, and the audit chain still
verifies.

The bad inputs: a body whose Content-Length is over its route's limit (refused unread), a chunked body with no
length, a body longer than it declares, a PNG decompression bomb, plates whose headers declare huge frames (or
too many pixels in all), files whose name lies about their type, and a full disk (a mock of the write at the
storage edge, since a disk cannot be filled here)."""
from __future__ import annotations

import errno
import io
import struct
import zlib
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.management import call_command
from rest_framework.test import APIClient

from likeness.audit.models import AuditEvent
from likeness.common.request_limits import MULTIPART_OVERHEAD, CappedStream, RequestBodyTooLarge
from likeness.consent import services as consent
from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.jobs.models import Job, LikenessModel, ModelStatus
from likeness.people.models import ReferenceMaterial
from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make
from tests.conftest import grant_scope
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024
# The limits the issue sets: contracts small, plates large, files to verify in between; stills 8192 x 8192.
CONTRACT_LIMIT = 20 * MiB
PLATE_LIMIT = 4 * 1024 * MiB
VERIFY_LIMIT = 2 * 1024 * MiB
DEFAULT_LIMIT = 5 * MiB
IMAGE_PIXELS = 8192 * 8192


# ----- bad inputs, built here ---------------------------------------------------------------------------------

def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit black PNG: tens of kilobytes on disk, width x height bytes once decoded to 8-bit grey."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def small_png() -> bytes:
    return png_bomb(8, 8)


def mov_with_header(width: int, height: int, frames: int = 3) -> bytes:
    """A real QuickTime file of `frames` raw 16 x 16 frames whose headers (tkhd, stsd) declare width x height.
    FFmpeg takes a raw video's frame size from the header alone, so this is what a huge plate looks like to a probe,
    in a few kilobytes."""
    import av
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, "w", format="mov") as container:
        stream = container.add_stream("rawvideo", rate=Fraction(24))
        stream.width, stream.height, stream.pix_fmt = 16, 16, "rgb24"
        for _ in range(frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = bytearray(buf.getvalue())
    if (width, height) != (16, 16):
        tkhd = data.find(b"tkhd")
        end = tkhd - 4 + struct.unpack(">I", data[tkhd - 4:tkhd])[0]
        data[end - 8:end] = struct.pack(">II", width << 16, height << 16)
        # stsd: version/flags, entry count, then the sample entry: size, format, 6 reserved, data ref, 16 bytes
        # of version/revision/vendor/qualities, then width and height.
        entry = data.find(b"stsd") + 12
        data[entry + 32:entry + 36] = struct.pack(">HH", width, height)
    return bytes(data)


def named(data: bytes, name: str) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    return upload


class WatchedInput(io.BytesIO):
    """A request body that records how much of it was read (the server's wsgi.input)."""

    def __init__(self, data: bytes = b"") -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size)
        self.bytes_read += len(data)
        return data


# ----- the state that must not change -------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def upload_temp(settings, tmp_path):
    """Every upload above 1 kB goes through a temp file in a folder the test watches."""
    folder = tmp_path / "upload-temp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    return folder


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.is_file()) if Path(folder).exists() else []


def snapshot() -> tuple[int, ...]:
    return (ConsentGrant.objects.count(), AuditEvent.objects.count(), Job.objects.count(),
            ReferenceMaterial.objects.count(), len(files_under(settings.MEDIA_ROOT)))


def assert_nothing_left(before: tuple[int, ...], upload_temp: Path) -> None:
    assert snapshot() == before
    assert files_under(upload_temp) == [], "an upload temp file was left behind"
    call_command("audit_verify")  # raises CommandError naming the first bad event


def assert_refused(response, status: int, field: str | None, *words: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    text = str(body.get(field) if field else body)
    if field:
        assert field in body, body
    for word in words:
        assert word in text, body
    return body


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def draft(world):
    return consent.grant_draft_create(performer=world.performer, productions=[world.production], by=world.rep,
                                      **grant_scope())


@pytest.fixture
def ready(world, make_grant):
    """An active grant for aging and a ready model record (no weights: nothing here runs the engine)."""
    w = world
    w.grant = make_grant(uses=["training", "de_aging", "aging_up"])
    decision = decision_make(request=gate_request_build(performer=w.performer, production=w.production,
                                                        use="training", replica_types=["icdr"]),
                             performer=w.performer, production=w.production, purpose="submit", by=w.vfx)
    w.model = LikenessModel.objects.create(performer=w.performer, size="tiny", grant=w.grant, decision=decision,
                                           status=ModelStatus.READY, age_range=[25, 66], weights_sha256="0" * 64)
    return w


def post_plate(w: SimpleNamespace, data: bytes, name: str = "shot.mov"):
    return client_for(w.vfx).post("/api/v1/jobs/aging/", {
        "performer": w.performer.pk, "production": w.production.pk, "likeness_model": str(w.model.pk),
        "target_age": 30, "plate": named(data, name)}, format="multipart")


# ----- bodies over their route's limit, refused before anything reads them ------------------------------------

@pytest.mark.parametrize(("path", "declared", "field", "limit", "setting"), [
    ("/api/v1/grants/1/submit/", CONTRACT_LIMIT + MULTIPART_OVERHEAD + 1, "document", CONTRACT_LIMIT,
     "LIKENESS_CONSENT_DOCUMENT_MAX_BYTES"),
    ("/api/v1/jobs/aging/", PLATE_LIMIT + MULTIPART_OVERHEAD + 1, "plate", PLATE_LIMIT,
     "LIKENESS_PLATE_UPLOAD_MAX_BYTES"),
    ("/api/v1/provenance/verify/", VERIFY_LIMIT + MULTIPART_OVERHEAD + 1, "file", VERIFY_LIMIT,
     "LIKENESS_VERIFY_UPLOAD_MAX_BYTES"),
    ("/api/v1/grants/", DEFAULT_LIMIT + 1, None, DEFAULT_LIMIT, "LIKENESS_REQUEST_BODY_MAX_BYTES"),
])
def test_a_declared_length_over_the_route_limit_is_refused_unread(world, upload_temp, path, declared, field,
                                                                  limit, setting):
    before = snapshot()
    body = WatchedInput(b"--x\r\n" * 1000)
    response = client_for(world.rep).generic("POST", path, b"", content_type="multipart/form-data; boundary=x",
                                             CONTENT_LENGTH=str(declared), **{"wsgi.input": body})
    # The file's limit, plus room for the form around the file on an upload route.
    assert_refused(response, 413, field, setting, f"{limit + (MULTIPART_OVERHEAD if field else 0)} bytes")
    assert body.bytes_read == 0
    assert_nothing_left(before, upload_temp)


def test_the_limit_holds_for_anyone_even_before_sign_in(db, upload_temp):
    body = WatchedInput()
    response = APIClient().generic("POST", "/api/v1/jobs/aging/", b"", content_type="multipart/form-data; boundary=x",
                                   CONTENT_LENGTH=str(50 * 1024 ** 3), **{"wsgi.input": body})
    assert_refused(response, 413, "plate", "LIKENESS_PLATE_UPLOAD_MAX_BYTES")
    assert body.bytes_read == 0


def test_a_chunked_body_without_a_length_is_not_read(world, draft, upload_temp):
    before = snapshot()
    body = WatchedInput(b"x" * (2 * MiB))
    response = client_for(world.rep).generic("POST", f"/api/v1/grants/{draft.pk}/submit/", b"",
                                             content_type="multipart/form-data; boundary=x",
                                             HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": body})
    assert_refused(response, 411, "document", "Content-Length", "LIKENESS_CONSENT_DOCUMENT_MAX_BYTES")
    assert body.bytes_read == 0
    assert_nothing_left(before, upload_temp)


def test_a_body_longer_than_it_declares_is_read_only_as_far_as_declared(world, draft, upload_temp):
    before = snapshot()
    boundary = "B0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"c.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode() + pdf_bytes()
    body = WatchedInput(head + b"\x00" * (8 * MiB))  # the rest never ends the part
    response = client_for(world.rep).generic("POST", f"/api/v1/grants/{draft.pk}/submit/", b"",
                                             content_type=f"multipart/form-data; boundary={boundary}",
                                             CONTENT_LENGTH=str(len(head) + 4096), **{"wsgi.input": body})
    assert response.status_code == 400, response.content[:300]
    assert body.bytes_read <= len(head) + 4096
    draft.refresh_from_db()
    assert draft.status == GrantStatus.DRAFT
    assert_nothing_left(before, upload_temp)


def test_a_stream_is_cut_at_the_route_limit_whatever_the_header_said() -> None:
    """Behind a server that hands over a body without a length (ASGI, or a WSGI server passing chunked bodies
    through), reading stops at the route's limit: one byte more raises."""
    exact = CappedStream(io.BytesIO(b"x" * 100), 100, "too big", "plate")
    assert exact.read() == b"x" * 100
    source = WatchedInput(b"x" * 10_000)
    over = CappedStream(source, 100, "the plate is too large", "plate")
    with pytest.raises(RequestBodyTooLarge) as caught:
        while over.read(7):
            pass
    assert caught.value.field == "plate" and "too large" in caught.value.message
    assert source.bytes_read <= 101


# ----- pictures too big to decode, refused from their headers -------------------------------------------------

@pytest.mark.parametrize(("width", "height"), [(20000, 20000), (10000, 10000)])
@pytest.mark.parametrize("path", ["/api/v1/provenance/verify/", "/api/v1/provenance/outputs/lookup/"])
def test_a_png_decompression_bomb_is_refused_without_decoding(world, upload_temp, monkeypatch, path, width,
                                                              height):
    import cv2

    decoded = []
    real = cv2.imdecode
    monkeypatch.setattr(cv2, "imdecode", lambda *a, **k: decoded.append(a) or real(*a, **k))
    bomb = png_bomb(width, height)
    assert len(bomb) < 1_000_000 and width * height > IMAGE_PIXELS  # small on the wire, huge decoded
    before = snapshot()
    response = client_for(world.auditor).post(path, {"file": named(bomb, "holiday.png")}, format="multipart")
    assert_refused(response, 400, "file", "refused before decoding", "LIKENESS_MAX_IMAGE_PIXELS")
    assert decoded == []
    assert_nothing_left(before, upload_temp)


def test_an_ordinary_png_is_still_verified(world, upload_temp):
    response = client_for(world.auditor).post("/api/v1/provenance/verify/", {"file": named(small_png(), "a.png")},
                                              format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["mime"] == "image/png"
    assert files_under(upload_temp) == []


def test_the_fingerprint_refuses_a_bomb_even_when_called_directly() -> None:
    from likeness.provenance import fingerprint

    with pytest.raises(ValueError, match="LIKENESS_MAX_IMAGE_PIXELS"):
        fingerprint.fingerprint_bytes(png_bomb(20000, 20000), "image/png")


@pytest.mark.parametrize(("width", "height", "words"), [
    (30000, 30000, "no usable frame size"),  # past FFmpeg's own limit: it reports 0 x 0
    (16000, 16000, "LIKENESS_PLATE_MAX_PIXELS_PER_FRAME"),
    (8193, 8193, "LIKENESS_PLATE_MAX_PIXELS_PER_FRAME"),
])
def test_a_plate_whose_header_declares_huge_frames_is_refused(ready, upload_temp, width, height, words):
    before = snapshot()
    assert_refused(post_plate(ready, mov_with_header(width, height)), 400, "plate", "refused before decoding", words)
    assert_nothing_left(before, upload_temp)


def test_a_plate_with_too_many_pixels_in_all_is_refused(ready, upload_temp, settings):
    settings.PLATE_MAX_TOTAL_PIXELS = 16 * 16 * 2  # the plate below is 3 frames of 16 x 16
    before = snapshot()
    assert_refused(post_plate(ready, mov_with_header(16, 16, frames=3)), 400, "plate", "3 frames of 16 x 16",
                   "LIKENESS_PLATE_MAX_TOTAL_PIXELS")
    assert_nothing_left(before, upload_temp)


def test_a_plate_within_the_caps_is_accepted_and_stored_once(ready, upload_temp):
    stored_before = set(files_under(settings.MEDIA_ROOT))
    response = post_plate(ready, mov_with_header(16, 16, frames=3), name="shot.mp4")  # the name lies; content wins
    assert response.status_code in (201, 202), response.json()
    job = Job.objects.get()
    assert job.plate.name.endswith(".mov")
    assert [p.name for p in set(files_under(settings.MEDIA_ROOT)) - stored_before] == [Path(job.plate.name).name]
    assert files_under(upload_temp) == []
    call_command("audit_verify")


def post_reference(w: SimpleNamespace, data: bytes, name: str = "harbour.mov"):
    return client_for(w.supervisor).post("/api/v1/reference-materials/", {
        "performer": w.performer.pk, "title": "Harbour Lights", "year": 1986, "performer_age": 25,
        "rights_basis": "studio_owned", "file": named(data, name)}, format="multipart")


def test_reference_footage_whose_header_declares_huge_frames_is_refused(ready, upload_temp):
    before = snapshot()
    assert_refused(post_reference(ready, mov_with_header(16000, 16000)), 400, "file",
                   "LIKENESS_PLATE_MAX_PIXELS_PER_FRAME")
    assert_nothing_left(before, upload_temp)


def test_reference_footage_is_hashed_here_and_a_second_copy_is_a_400(ready, upload_temp):
    response = post_reference(ready, mov_with_header(16, 16), name="harbour.mp4")
    assert response.status_code == 201, response.json()
    material = ReferenceMaterial.objects.get()
    assert material.file.name.endswith(".mov") and len(material.sha256) == 64  # the content's type, its hash
    before = snapshot()
    assert_refused(post_reference(ready, mov_with_header(16, 16)), 400, "sha256", "already registered")
    assert_nothing_left(before, upload_temp)


# ----- types decided by content, not by name ------------------------------------------------------------------

def test_a_png_named_pdf_is_not_a_contract(world, draft, upload_temp):
    before = snapshot()
    response = client_for(world.rep).post(f"/api/v1/grants/{draft.pk}/submit/",
                                          {"document": named(small_png(), "contract.pdf")}, format="multipart")
    assert_refused(response, 400, "document", "not a PDF", "PNG image")
    draft.refresh_from_db()
    assert draft.status == GrantStatus.DRAFT
    assert_nothing_left(before, upload_temp)


def test_a_pdf_named_mp4_is_not_a_plate(ready, upload_temp):
    before = snapshot()
    assert_refused(post_plate(ready, pdf_bytes(), name="shot.mp4"), 400, "plate", "not an MP4 video", "a PDF")
    assert_nothing_left(before, upload_temp)


def test_a_png_named_mov_is_not_reference_footage(ready, upload_temp):
    before = snapshot()
    assert_refused(post_reference(ready, small_png()), 400, "file", "not an MP4 video", "PNG image")
    assert_nothing_left(before, upload_temp)


# ----- a full disk --------------------------------------------------------------------------------------------
# A disk cannot be filled here: the write at the storage edge is mocked to write part of the file, as a real
# full disk does, and then fail with ENOSPC.

def _fill_disk_after(nbytes: int):
    def save(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(next(iter(content.chunks()))[:nbytes])
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    return save


def test_a_full_disk_while_storing_a_contract_stores_nothing(world, draft, upload_temp, monkeypatch):
    monkeypatch.setattr(FileSystemStorage, "_save", _fill_disk_after(100))
    before = snapshot()
    response = client_for(world.rep).post(f"/api/v1/grants/{draft.pk}/submit/",
                                          {"document": named(pdf_bytes(), "contract.pdf")}, format="multipart")
    assert_refused(response, 400, "document", "storage is full", "Nothing was saved")
    draft.refresh_from_db()
    assert draft.status == GrantStatus.DRAFT and not draft.document and not draft.document_sha256
    assert_nothing_left(before, upload_temp)


def test_a_full_disk_while_storing_a_plate_stores_nothing(ready, upload_temp, monkeypatch):
    monkeypatch.setattr(FileSystemStorage, "_save", _fill_disk_after(100))
    before = snapshot()
    assert_refused(post_plate(ready, mov_with_header(16, 16)), 400, "plate", "storage is full")
    assert_nothing_left(before, upload_temp)


def test_a_full_disk_while_receiving_an_upload_leaves_no_temp_file(world, draft, upload_temp, monkeypatch,
                                                                    settings):
    real = TemporaryFileUploadHandler.receive_data_chunk

    def write_then_fail(self, raw_data, start):
        real(self, raw_data[:512], start)  # part of the file reaches the temp folder, then the disk is full
        self.file.flush()
        assert files_under(upload_temp), "the mock should have left a partial temp file to clean up"
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", write_then_fail)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # even this small contract goes through a temp file
    before = snapshot()
    response = client_for(world.rep).post(f"/api/v1/grants/{draft.pk}/submit/",
                                          {"document": named(pdf_bytes(), "contract.pdf")}, format="multipart")
    assert_refused(response, 400, "document", "storage is full")
    assert_nothing_left(before, upload_temp)
