"""Every move in the job's table (likeness/jobs/models.py: JOB_STATES), made through the services that make it
in production, one case per move. A move added to the table without a case here fails
test_every_move_of_the_table_has_a_case; a case whose service ends elsewhere fails its own test."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from likeness.jobs.models import JOB_STATES, Job, JobState
from likeness.jobs.release import job_release
from likeness.jobs.submission import job_cancel, job_submit_aging, job_submit_training
from likeness.jobs.worker import (
    job_claim,
    job_finish_aging,
    job_finish_training,
    job_start_training_model,
    job_stop,
    job_unclaim,
)
from likeness.policy.models import Decision

Q, R = JobState.QUEUED, JobState.RUNNING


@pytest.fixture
def studio(studio, footage, settings, tmp_path) -> SimpleNamespace:
    """The shared studio world (tests/likeness/conftest.py), with the footage at hand and a CA for releases."""
    settings.PKI_DIR, settings.TSA_URL = tmp_path / "pki", ""
    studio.footage = footage
    return studio


def _training(w: Any) -> Job:
    return job_submit_training(performer=w.performer, production=w.production, reference_materials=w.references,
                               by=w.vfx, size="tiny", steps=1)


def _aging(w: Any) -> Job:
    with open(w.footage.plate, "rb") as plate:
        return job_submit_aging(performer=w.performer, production=w.production, likeness_model=w.model,
                                plate=plate, plate_name="plate.mp4", target_age=30, by=w.vfx, frame_start=0,
                                frame_end=4)


def _running(job: Job) -> Job:
    claimed = job_claim(job_id=str(job.pk), worker="gpu-0@test")
    assert claimed is not None and claimed.state == R
    return claimed


def _rendered(w: Any) -> Job:
    job = _running(_aging(w))
    assert job_finish_aging(job_id=str(job.pk), attempt=job.attempt, rendered=w.footage.plate, mime="video/mp4",
                            engine_seconds=1.0, stats={"frames_total": 4})
    return Job.objects.get(pk=job.pk)


def _denied(w: Any) -> Job:
    w.production.release_media = ["games"]  # a medium the grant does not cover
    w.production.save(update_fields=["release_media"])
    with open(w.footage.plate, "rb") as plate:
        return job_submit_aging(performer=w.performer, production=w.production, likeness_model=w.model,
                                plate=plate, plate_name="plate.mp4", target_age=30, by=w.vfx, frame_end=4)


def _exhausted(w: Any, settings: Any) -> Job:
    job = _aging(w)
    Job.objects.filter(pk=job.pk).update(attempt=settings.JOB_MAX_ATTEMPTS)
    assert job_claim(job_id=str(job.pk), worker="gpu-0@test") is None
    return job


def _completed(w: Any, tmp_path: Path) -> Job:
    job = _running(_training(w))
    job_start_training_model(job=job, decision=Decision.objects.filter(purpose="submit").latest("created_at"))
    checkpoint = tmp_path / "model.safetensors"
    checkpoint.write_bytes(b"weights")
    meta = {"dataset_manifest_sha256": "a" * 64, "steps": 1, "age_range": [25, 66], "engine_version": "test"}
    assert job_finish_training(job_id=str(job.pk), attempt=job.attempt, checkpoint=checkpoint, meta=meta,
                               engine_seconds=1.0)
    return job


def _released(w: Any) -> Job:
    from likeness.provenance.services import output_approve, pki_initialise
    from tests.factories import fresh_code

    pki_initialise()
    job = _rendered(w)
    fresh_code(w.counsel)
    output_approve(output=job.output, by=w.counsel, note="approved after watching it")
    return job_release(job=job, by=w.supervisor)


def _declined(w: Any) -> Job:
    from likeness.provenance.services import output_decline

    job = _rendered(w)
    output_decline(output=job.output, by=w.rep, note="the jawline reads wrong")
    return job


def _withdrawn(w: Any) -> Job:
    from likeness.consent.services import grant_revoke

    job = _rendered(w)
    grant_revoke(grant=w.grant, by=w.rep, reason="the performer withdrew")
    return job


CASES: dict[tuple[str, str], Callable[..., Job]] = {
    (JobState.SUBMITTED, Q): lambda w, **_: _aging(w),
    (JobState.SUBMITTED, JobState.DENIED): lambda w, **_: _denied(w),
    (Q, R): lambda w, **_: _running(_aging(w)),
    (Q, JobState.CANCELLED): lambda w, **_: job_cancel(job=_aging(w), by=w.vfx, reason="wrong plate"),
    (Q, JobState.FAILED): lambda w, settings, **_: _exhausted(w, settings),
    (R, Q): lambda w, **_: _unclaimed(_running(_aging(w))),
    (R, JobState.COMPLETED): lambda w, tmp_path, **_: _completed(w, tmp_path),
    (R, JobState.AWAITING_APPROVAL): lambda w, **_: _rendered(w),
    (R, JobState.CANCELLED): lambda w, **_: job_cancel(job=_running(_aging(w)), by=w.vfx, reason="stop"),
    (R, JobState.FAILED): lambda w, **_: _stopped(_running(_aging(w)), JobState.FAILED),
    (R, JobState.REVOKED): lambda w, **_: _stopped(_running(_aging(w)), JobState.REVOKED),
    (JobState.AWAITING_APPROVAL, JobState.RELEASED): lambda w, **_: _released(w),
    (JobState.AWAITING_APPROVAL, JobState.DECLINED): lambda w, **_: _declined(w),
    (JobState.AWAITING_APPROVAL, JobState.WITHDRAWN): lambda w, **_: _withdrawn(w),
}


def _unclaimed(job: Job) -> Job:
    assert job_unclaim(job_id=str(job.pk), attempt=job.attempt, reason="database unavailable; retrying")
    return job


def _stopped(job: Job, state: str) -> Job:
    assert job_stop(job_id=str(job.pk), attempt=job.attempt, state=state, reason="the gate said no")
    return job


def test_every_move_of_the_table_has_a_case() -> None:
    assert set(CASES) == set(JOB_STATES.transitions())


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), sorted(CASES), ids=[f"{s}->{t}" for s, t in sorted(CASES)])
def test_the_service_makes_the_move(studio, settings, tmp_path, source: str, target: str) -> None:
    # In the test's transaction the services' after-commit sends to the broker never happen: no worker is needed.
    job = CASES[(source, target)](studio, settings=settings, tmp_path=tmp_path)
    job.refresh_from_db()
    assert job.state == target, (job.state, job.state_reason)
    if target in JOB_STATES.final:
        with pytest.raises(Exception, match="no longer|only a rendered|cannot"):
            job_cancel(job=job, by=studio.vfx)
