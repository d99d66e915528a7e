"""A plate's frame range is judged once, by job_submit_aging (before the plate is stored): the request page and
the API refuse an inverted or empty range in the service's words, on the end frame, and record nothing."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from likeness.jobs.models import Job

pytestmark = pytest.mark.django_db

WORDS = "the frame range 8-3 is inverted or empty: the end frame must come after the first frame (8)"


def _body(studio, footage, **extra) -> dict:
    plate = SimpleUploadedFile(footage.plate.name, footage.plate.read_bytes(), content_type="video/mp4")
    return {"performer": studio.performer.pk, "production": studio.production.pk, "likeness_model": str(studio.model.pk),
            "plate": plate, "frame_start": 8, "frame_end": 3, "target_age": 30, **extra}


def test_the_page_shows_the_services_refusal(studio, footage):
    client = Client()
    client.force_login(studio.vfx)
    response = client.post("/jobs/new/aging/", _body(studio, footage))
    assert response.status_code == 400 and WORDS in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.parametrize("end", [3, 8])
def test_the_api_gives_the_services_refusal_on_the_end_frame(studio, footage, end):
    client = APIClient()
    client.force_authenticate(studio.vfx)
    response = client.post("/api/v1/jobs/aging/", _body(studio, footage, frame_end=end), format="multipart")
    assert response.status_code == 400, response.content
    assert response.json() == {"frame_end": [WORDS.replace("8-3", f"8-{end}")]}
    assert not Job.objects.exists()
