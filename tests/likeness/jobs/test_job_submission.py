"""Submitting jobs: bad input is a clear 400 that stores nothing; a gate denial is stored and returned as a
400 with the explanation; what only the worker can know ends as a failed job with the reason."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from likeness.audit.models import AuditEvent
from likeness.jobs.models import Job, JobState, LikenessModel, ModelStatus

pytestmark = pytest.mark.slow


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post_aging(world, model, plate, **fields):
    body = {"performer": world.performer.pk, "production": world.production.pk, "likeness_model": str(model.pk),
            "target_age": 30, **fields}
    with open(plate, "rb") as handle:
        body["plate"] = handle
        return client_for(fields.pop("user", world.vfx)).post("/api/v1/jobs/aging/", body, format="multipart")


def counts() -> tuple[int, int]:
    return Job.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize(("case", "field"), [
    ("not a video", "plate"),
    ("range outside the clip", "frame_end"),
    ("inverted range", "frame_end"),
    ("another performer's model", "likeness_model"),
    ("quarantined model", "likeness_model"),
])
def test_bad_aging_input_is_a_400_that_stores_nothing(live_world, ready_model, footage, case, field):
    model, plate, extra = ready_model, footage.plate, {}
    if case == "not a video":
        plate = footage.not_a_video
    elif case == "range outside the clip":
        extra = {"frame_start": 4, "frame_end": 500}
    elif case == "inverted range":
        extra = {"frame_start": 8, "frame_end": 3}
    elif case == "another performer's model":
        from likeness.people.services import performer_create

        other = performer_create(by=live_world.rep, representing=live_world.agency, legal_name="Other Person",
                                 date_of_birth=ready_model.performer.date_of_birth, domicile="US-CA")
        LikenessModel.objects.filter(pk=model.pk).update(performer=other)
        model.refresh_from_db()
    elif case == "quarantined model":
        LikenessModel.objects.filter(pk=model.pk).update(status=ModelStatus.QUARANTINED,
                                                         quarantine_reason="consent revoked")
    before = counts()
    response = post_aging(live_world, model, plate, **extra)
    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert counts() == before


def test_target_age_outside_the_grant_is_denied_and_stored(live_world, ready_model, footage):
    response = post_aging(live_world, ready_model, footage.plate, target_age=19)
    assert response.status_code == 400
    body = response.json()
    assert "covers depicted ages 25-45 only; 19 requested" in body["detail"]
    job = Job.objects.get(pk=body["job"]["id"])
    assert job.state == JobState.DENIED and job.submit_decision.outcome == "deny"
    assert job.state_reason == body["detail"]


def test_only_studio_vfx_may_submit(live_world, ready_model, footage):
    for user in (live_world.rep, live_world.other_vfx):
        with open(footage.plate, "rb") as handle:
            response = client_for(user).post("/api/v1/jobs/aging/", {
                "performer": live_world.performer.pk, "production": live_world.production.pk,
                "likeness_model": str(ready_model.pk), "target_age": 30, "plate": handle}, format="multipart")
        assert response.status_code in (400, 403), response.json()
    assert client_for(live_world.auditor).post("/api/v1/jobs/training/", {}, format="json").status_code == 403
    assert not Job.objects.exists()


def test_training_needs_footage_of_the_performer(live_world):
    response = client_for(live_world.vfx).post("/api/v1/jobs/training/", {
        "performer": live_world.performer.pk, "production": live_world.production.pk, "reference_materials": [],
        "size": "tiny"}, format="json")
    assert response.status_code == 400 and "reference_materials" in response.json()


def test_a_truncated_plate_is_refused_at_submit(live_world, ready_model, footage, tmp_path):
    data = footage.long_plate.read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    before = counts()
    response = post_aging(live_world, ready_model, truncated)
    assert response.status_code == 400 and "plate" in response.json(), response.json()
    assert counts() == before


def test_what_only_the_worker_can_see_fails_the_job_with_the_reason(workers, live_world, ready_model, footage,
                                                                    helpers):
    """The model's weights on disk are damaged after submission: the worker fails the job, never strands it."""
    response = post_aging(live_world, ready_model, footage.plate)
    assert response.status_code == 201, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    with open(ready_model.checkpoint.path, "r+b") as handle:
        handle.write(b"\0" * 64)
    workers.start("w1")
    helpers.wait_for(lambda: helpers.job_state(job) not in ("queued", "running"), timeout=120,
                     what="the job to end", workers=workers)
    assert job.state == JobState.FAILED, (job.state, job.state_reason)
    assert "checkpoint" in job.state_reason
    assert job.output is None
