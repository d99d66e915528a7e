"""Revocation propagates in the revoking transaction: queued jobs under the grant are cancelled, models
trained under it are quarantined (and their weights deleted when the grant says so), outputs keep their
records, marked."""
from __future__ import annotations

from pathlib import Path

import pytest

from likeness.consent.models import ConsentGrant
from likeness.consent.services import grant_revoke
from likeness.jobs.models import Job, JobKind, JobState, ModelStatus

pytestmark = pytest.mark.slow


def _queued_job(world, model):
    job = Job.objects.create(kind=JobKind.AGING, performer=world.performer, production=world.production,
                             requested_by=world.vfx, likeness_model=model, state=JobState.QUEUED,
                             params={"target_age": 30, "frame_start": 0, "frame_end": 8})
    return job


@pytest.mark.parametrize("destroy", [False, True])
def test_revocation_cancels_quarantines_and_destroys_when_required(live_world, ready_model, destroy):
    ConsentGrant.objects.filter(pk=live_world.grant.pk).update(destroy_models_on_revocation=destroy)
    live_world.grant.refresh_from_db()
    job = _queued_job(live_world, ready_model)
    weights = Path(ready_model.checkpoint.path)
    assert weights.exists()
    grant_revoke(grant=live_world.grant, by=live_world.counsel, reason="the performer withdrew consent")
    job.refresh_from_db()
    ready_model.refresh_from_db()
    assert job.state == JobState.CANCELLED and "withdrew consent" in job.state_reason
    if destroy:
        assert ready_model.status == ModelStatus.DESTROYED and not weights.exists()
        assert ready_model.destroyed_at is not None and ready_model.weights_sha256  # the record keeps its lineage
    else:
        assert ready_model.status == ModelStatus.QUARANTINED and weights.exists()
    assert "withdrew consent" in ready_model.quarantine_reason
