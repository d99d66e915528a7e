"""What an aging job writes: the output codec a studio asks for, and the ages a model can render.

The lossless job runs through the real API and runner, is approved and released, and its signed file is read
back: outside the face (dlib's own detector box, grown) every pixel is the plate's decoded pixel, and the C2PA
credentials verify against the platform's anchors and, where Node.js and `make reader` are there, by the
independent reader (@trustnxt/c2pa-ts)."""
from __future__ import annotations

import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from likeness.jobs.models import Job, JobState, LikenessModel
from likeness.jobs.runner import run_job
from tests.real_faces import PERFORMER_ELSEWHERE, outside_the_face, push_in_plate


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def submit(world, model, plate, **extra):
    with open(plate, "rb") as handle:
        return client_of(world.vfx).post("/api/v1/jobs/aging/", {
            "performer": world.performer.pk, "production": world.production.pk, "likeness_model": str(model.pk),
            "plate": handle, "target_age": 30, **extra}, format="multipart")


def test_a_target_age_the_model_cannot_render_is_refused_when_asked(live_world, ready_model, tmp_path) -> None:
    """Refused with the model's range at once (400), before the gate, not as a failed job on a worker later. The
    range is narrowed to 20-40 here so that both sides of its edge sit inside the consent's ages (25-45)."""
    ready_model.target_ages = [20.0, 40.0]
    ready_model.save()
    plate = push_in_plate(PERFORMER_ELSEWHERE, tmp_path / "plate.mp4")
    response = submit(live_world, ready_model, plate, target_age=41)
    assert response.status_code == 400, response.json()
    assert response.json()["target_age"] == ["this model renders ages 20-40; 41 is outside what it was trained "
                                             "to produce"]
    assert not Job.objects.filter(likeness_model=ready_model).exists()
    accepted = submit(live_world, ready_model, plate, target_age=40)
    assert accepted.status_code == 201, accepted.json()


def test_a_live_preview_outside_the_models_ages_is_refused_too(live_world, ready_model) -> None:
    from likeness.jobs import previews
    from likeness.jobs.models import PreviewSource
    from tests.likeness.web.test_model_pages import preview_grant

    preview_grant(live_world)
    with pytest.raises(ValidationError, match="this model renders ages 10-90; 5 is outside"):
        previews.preview_session_start(performer=live_world.performer, production=live_world.production,
                                       likeness_model=ready_model, source_kind=PreviewSource.REFERENCE,
                                       reference_material=live_world.references[0], target_age=5, by=live_world.vfx)


def test_a_model_without_a_recorded_range_leaves_the_check_to_the_worker(ready_model) -> None:
    unrecorded = LikenessModel(target_ages=[])
    assert unrecorded.target_age_refusal(200) is None
    assert ready_model.target_age_refusal(50) is None


def test_an_unknown_codec_is_refused_by_name(live_world, ready_model, tmp_path) -> None:
    response = submit(live_world, ready_model, push_in_plate(PERFORMER_ELSEWHERE, tmp_path / "plate.mp4"),
                      codec="prores")
    assert response.status_code == 400
    assert "prores" in str(response.json()["codec"])


def decoded(path) -> tuple[list[np.ndarray], str]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return frames, stream.codec_context.pix_fmt or ""


@pytest.mark.slow
def test_a_lossless_job_releases_a_signed_file_that_keeps_the_plate_outside_the_face(live_world, real_model,
                                                                                     workers, tmp_path) -> None:
    from django.core.management import call_command

    from likeness.provenance.c2pa_context import platform_anchors
    from likeness.provenance.verification import verify_path

    w = live_world
    plate = push_in_plate(PERFORMER_ELSEWHERE, tmp_path / "plate.mp4")
    response = submit(w, real_model, plate, codec="h264-lossless")
    assert response.status_code == 201, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    assert job.params["codec"] == "h264-lossless"
    run_job(str(job.pk), worker="test")
    job.refresh_from_db()
    assert job.state == JobState.AWAITING_APPROVAL, (job.state, job.state_reason)
    call_command("pki_init", "--if-missing")
    approved = client_of(w.counsel).post(f"/api/v1/provenance/outputs/{job.output.pk}/approve/",
                                         {"note": "approved with talent"}, format="json")
    assert approved.status_code == 200, approved.json()
    released = client_of(w.vfx).post(f"/api/v1/jobs/{job.pk}/release/")
    assert released.status_code == 200, released.json()
    job.output.refresh_from_db()
    assert verify_path(job.output.file.path, anchors_pem=platform_anchors()).state == "Trusted"
    from tests.likeness.provenance.test_independent_reader import READER, read

    if shutil.which("node") and (READER / "node_modules" / "@trustnxt" / "c2pa-ts").is_dir():
        [seen] = read(Path(job.output.file.path))  # a C2PA reader that shares no code with ours
        assert seen["valid"] and "assertion.bmffHash.match" in {c["code"] for c in seen["codes"] if c["success"]}, seen
    source, _ = decoded(plate)
    aged, pix_fmt = decoded(job.output.file.path)
    assert pix_fmt == "gbrp" and len(aged) == len(source)  # H.264 in RGB: no 4:2:0 step
    for before, after in zip(source, aged, strict=True):
        keep = outside_the_face(before)
        assert np.array_equal(after[keep], before[keep])
    assert np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(aged, source, strict=True)]) > 0.05  # the face changed
