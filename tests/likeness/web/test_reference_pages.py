"""Registering reference footage on its page: the server computes the SHA-256 from the upload (never asked of
the user), checks the file by its content and the age against the date of birth, and refuses whoever may not
register footage of that performer (another agency, another studio, auditors, VFX artists)."""
from __future__ import annotations

import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from likeness.audit.models import AuditEvent
from likeness.people.models import ReferenceMaterial

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def post(world, footage, user=None, **extra):
    path, age = footage.refs[0]
    data = {"performer": world.performer.pk, "title": "Harbour Lights", "year": 1961 + age, "performer_age": age,
            "rights_basis": "studio_owned",
            "file": SimpleUploadedFile("harbour.mp4", path.read_bytes(), content_type="video/mp4"), **extra}
    return signed_in(user or world.rep).post("/reference-material/new/", data)


def test_the_rep_registers_footage_and_the_server_computes_its_sha256(world, footage):
    page = text(signed_in(world.rep).get(f"/reference-material/new/?performer={world.performer.pk}"))
    assert "SHA-256" in page and 'name="sha256"' not in page and 'data-upload-progress' in page
    response = post(world, footage)
    assert response.status_code == 302 and response.url == f"/performers/{world.performer.pk}/"
    material = ReferenceMaterial.objects.get()
    assert material.sha256 == hashlib.sha256(footage.refs[0][0].read_bytes()).hexdigest()
    assert material.file and material.created_by == world.rep
    page = text(signed_in(world.rep).get(response.url))
    assert "Harbour Lights" in page and "on file" in page
    assert AuditEvent.objects.filter(object_type="people.referencematerial", object_id=str(material.pk)).exists()


def test_the_same_footage_twice_is_refused_beside_the_file(world, footage):
    assert post(world, footage).status_code == 302
    response = post(world, footage)
    assert response.status_code == 400
    assert "this footage is already registered for the performer" in text(response)
    assert ReferenceMaterial.objects.count() == 1


def test_a_file_that_is_not_a_video_is_refused_by_its_content(world, footage):
    response = post(world, footage, file=SimpleUploadedFile("fake.mp4", b"not a video at all " * 50,
                                                            content_type="video/mp4"))
    assert response.status_code == 400 and not ReferenceMaterial.objects.exists()
    assert "video" in text(response).lower()


def test_an_age_that_contradicts_the_date_of_birth_is_refused(world, footage):
    response = post(world, footage, performer_age=70)
    assert response.status_code == 400 and "a performer born in 1961 was" in text(response)


def test_a_studio_supervisor_registers_once_consent_ties_the_performer_to_the_studio(world, make_grant, footage):
    assert post(world, footage, user=world.supervisor).status_code == 400  # no consent yet: not a choice
    make_grant()
    response = post(world, footage, user=world.supervisor, next="/jobs/new/training/?performer=1")
    assert response.status_code == 302 and response.url == "/jobs/new/training/?performer=1"
    # An outside address is never followed.
    response = post(world, footage, user=world.supervisor, next="https://elsewhere.example/", title="Second",
                    file=SimpleUploadedFile("b.mp4", footage.refs[1][0].read_bytes()), performer_age=footage.refs[1][1],
                    year=1961 + footage.refs[1][1])
    assert response.status_code == 302 and not response.url.startswith("https://elsewhere")


@pytest.mark.parametrize("who", ["other_rep", "other_vfx", "other_legal", "vfx"])
def test_those_who_may_not_register_this_performers_footage_are_refused(world, make_grant, footage, who):
    make_grant()
    response = post(world, footage, user=getattr(world, who))
    assert response.status_code in (400, 403) and not ReferenceMaterial.objects.exists()
    if response.status_code == 400:
        page = text(response)
        assert "Select a valid choice" in page or "no performer whose footage you may register" in page


def test_auditors_are_refused(world, footage):
    assert post(world, footage, user=world.auditor).status_code == 403


def test_the_training_form_links_to_the_page(world, make_grant):
    make_grant(uses=["training"])
    page = text(signed_in(world.supervisor).get(f"/jobs/new/training/?performer={world.performer.pk}"))
    assert "/reference-material/new/?performer=" in page and "Register reference footage" in page
