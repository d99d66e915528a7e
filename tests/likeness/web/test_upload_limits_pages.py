"""Bounded input on the pages, as on the API: a body over its route's limit is refused unread, an upload from
someone not signed in is refused unread, a decompression bomb is refused from its header, a file whose name lies
is judged by its content, and a full disk leaves no temp file; each answer is a 4xx page that says why, never a
500, and nothing is stored."""
from __future__ import annotations

import errno
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.management import call_command
from django.test import Client

from likeness.consent import services as consent
from likeness.consent.models import GrantStatus
from tests.conftest import grant_scope
from tests.factories import pdf_bytes
from tests.likeness.api.test_upload_limits import (
    MiB,
    WatchedInput,
    files_under,
    png_bomb,
    small_png,
    snapshot,
    upload_temp,  # noqa: F401 - the fixture: uploads above 1 kB go through a watched temp folder
)

pytestmark = pytest.mark.django_db


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def assert_nothing_left(before: tuple[int, ...], folder) -> None:
    assert snapshot() == before
    assert files_under(folder) == []
    call_command("audit_verify")


@pytest.fixture
def draft(world):
    return consent.grant_draft_create(performer=world.performer, productions=[world.production], by=world.rep,
                                      **grant_scope())


def test_a_plate_over_the_limit_is_refused_unread(world, upload_temp):  # noqa: F811
    before = snapshot()
    body = WatchedInput()
    response = signed_in(world.vfx).generic("POST", "/jobs/new/aging/", b"",
                                            content_type="multipart/form-data; boundary=x",
                                            CONTENT_LENGTH=str(5 * 1024 ** 3), **{"wsgi.input": body})
    assert response.status_code == 413
    page = text(response)
    assert "The upload is too large" in page and "LIKENESS_PLATE_UPLOAD_MAX_BYTES" in page
    assert body.bytes_read == 0
    assert_nothing_left(before, upload_temp)


def test_an_upload_from_someone_not_signed_in_is_refused_unread(db, upload_temp):  # noqa: F811
    body = WatchedInput(b"x" * MiB)
    response = Client().generic("POST", "/verify/", b"", content_type="multipart/form-data; boundary=x",
                                CONTENT_LENGTH=str(MiB), **{"wsgi.input": body})
    assert response.status_code == 403 and "files are accepted only from signed-in users" in text(response)
    assert body.bytes_read == 0


def test_a_decompression_bomb_is_refused_beside_the_field(world, upload_temp, monkeypatch):  # noqa: F811
    import cv2

    monkeypatch.setattr(cv2, "imdecode", lambda *a, **k: pytest.fail("the bomb was handed to the decoder"))
    before = snapshot()
    upload = SimpleUploadedFile("holiday.png", png_bomb(20000, 20000), content_type="image/png")
    response = signed_in(world.auditor).post("/verify/", {"file": upload})
    assert response.status_code == 400
    page = text(response)
    assert "refused before decoding" in page and "LIKENESS_MAX_IMAGE_PIXELS" in page
    assert 'aria-invalid="true"' in page  # the message sits with the file field
    assert_nothing_left(before, upload_temp)


def test_a_png_named_pdf_is_not_a_contract(world, draft, upload_temp):  # noqa: F811
    before = snapshot()
    upload = SimpleUploadedFile("contract.pdf", small_png(), content_type="application/pdf")
    response = signed_in(world.rep).post(f"/grants/{draft.pk}/submit/", {"document": upload})
    assert response.status_code == 400
    assert "not a PDF" in text(response) and "PNG image" in text(response)
    draft.refresh_from_db()
    assert draft.status == GrantStatus.DRAFT
    assert_nothing_left(before, upload_temp)


@pytest.mark.parametrize("csrf", [False, True], ids=["in the view", "in the CSRF check"])
def test_a_full_disk_while_receiving_a_contract_is_a_400_with_no_temp_file(world, draft, upload_temp, monkeypatch,  # noqa: F811
                                                                           settings, csrf):
    """With CSRF checks on (production) the body is parsed by the CSRF middleware, before the view: the full
    disk must be a 400 there too. Mocked at the edge: the temp file's write fails with ENOSPC after a part."""
    real = TemporaryFileUploadHandler.receive_data_chunk

    def write_then_fail(self, raw_data, start):
        real(self, raw_data[:100], start)
        raise OSError(errno.ENOSPC, "No space left on device")

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    client = signed_in(world.rep, enforce_csrf_checks=csrf)
    data = {"document": SimpleUploadedFile("contract.pdf", pdf_bytes(), content_type="application/pdf")}
    if csrf:
        client.get(f"/grants/{draft.pk}/")  # sets the CSRF cookie, as a browser's first visit does
        data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", write_then_fail)
    before = snapshot()
    response = client.post(f"/grants/{draft.pk}/submit/", data)
    assert response.status_code == 400
    assert "storage is full" in text(response)
    draft.refresh_from_db()
    assert draft.status == GrantStatus.DRAFT
    assert_nothing_left(before, upload_temp)
