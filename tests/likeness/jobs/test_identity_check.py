"""The worker checks that the face in a plate is the performer's before it renders anything, with real
photographs: the performer's reference footage is made from a photograph of one person; a plate made from
another photograph of them renders, and a plate of another person fails the job with the reason, leaving no
output. The jobs run in this process through the real runner (the `workers` fixture gives the test its own
broker; no worker is started)."""
from __future__ import annotations

import io

import pytest
from django.core.files import File

from likeness.jobs.models import Job, JobState
from likeness.jobs.runner import run_job
from likeness.jobs.submission import job_submit_aging
from likeness.people.services import reference_material_create
from tests.real_faces import PERFORMER_ELSEWHERE, push_in_plate

pytestmark = pytest.mark.slow


def age(world, model, plate) -> Job:
    with open(plate, "rb") as handle:
        job = job_submit_aging(performer=world.performer, production=world.production, likeness_model=model,
                               plate=io.BytesIO(handle.read()), plate_name="plate.mp4", target_age=30, by=world.vfx)
    assert job.state == JobState.QUEUED, job.state_reason
    run_job(str(job.pk), worker="test")
    job.refresh_from_db()
    return job


def test_a_plate_of_another_person_fails_the_job_before_anything_renders(live_world, real_model, workers,
                                                                          tmp_path) -> None:
    job = age(live_world, real_model, push_in_plate("biden", tmp_path / "plate.mp4"))
    assert job.state == JobState.FAILED, (job.state, job.state_reason)
    assert "not the performer whose consent this job runs under" in job.state_reason
    assert job.output is None
    said = [line.message for line in job.log_lines.all()]
    assert any("checking the plate's face against" in line for line in said), said


def test_a_plate_of_the_performer_renders_and_records_the_distance(live_world, real_model, workers,
                                                                   tmp_path) -> None:
    job = age(live_world, real_model, push_in_plate(PERFORMER_ELSEWHERE, tmp_path / "plate.mp4"))
    assert job.state == JobState.AWAITING_APPROVAL, (job.state, job.state_reason)
    assert job.output is not None
    result = job.params["result"]
    assert result["frames_not_performer"] == 0
    assert result["identity_distance"] < 0.6, result
    from likeness.audit.models import AuditEvent

    rendered = AuditEvent.objects.get(action="job.rendered", object_id=str(job.pk))
    assert rendered.data["identity_distance"] == result["identity_distance"]


def test_a_live_preview_of_another_persons_footage_ends_before_its_first_frame(live_world, real_model, monkeypatch,
                                                                                tmp_path) -> None:
    """Footage registered for the performer that shows someone else: the preview of it ends with the reason."""
    from likeness.jobs import previews
    from likeness.jobs.models import PreviewSource, PreviewState
    from likeness.jobs.preview_runner import run_preview
    from tests.likeness.web.test_model_pages import preview_grant

    w = live_world
    preview_grant(w)
    monkeypatch.setattr(previews, "enqueue_preview", lambda session: None)  # run here, not on a worker
    clip = push_in_plate("biden", tmp_path / "mislabelled.mp4")
    with open(clip, "rb") as handle:
        mislabelled = reference_material_create(
            performer=w.performer, title="Mislabelled reel", year=2012, performer_age=51,
            rights_basis="studio_owned", by=w.supervisor, file=File(handle, name=clip.name))
    session = previews.preview_session_start(
        performer=w.performer, production=w.production, likeness_model=real_model,
        source_kind=PreviewSource.REFERENCE, reference_material=mislabelled, target_age=30, by=w.vfx)
    run_preview(str(session.pk), worker="test")
    session.refresh_from_db()
    assert session.state not in (PreviewState.QUEUED, PreviewState.RUNNING, PreviewState.FINISHED), session.state
    assert "the face in the preview's source is not the performer" in session.state_reason
    assert session.frames == 0
