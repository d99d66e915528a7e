"""On PostgreSQL: revocation raced against job claims and output recording, 100 times. No output may be
recorded under a grant after its revocation committed."""
from __future__ import annotations

import random
import shutil
import threading
import time

import pytest
from django.db import connection

from likeness.consent import services as consent
from likeness.jobs.gating import job_decide
from likeness.jobs.models import Job, JobKind, JobState
from likeness.jobs.worker import job_claim, job_finish_aging, job_stop
from likeness.policy.models import DecisionPurpose
from likeness.provenance.models import Output
from tests.conftest import grant_scope, requires_postgres
from tests.factories import pdf_file

pytestmark = [requires_postgres, pytest.mark.slow]
ROUNDS = 100


def _fresh_grant(w):
    grant = consent.grant_draft_create(performer=w.performer, productions=[w.production], by=w.rep,
                                       **grant_scope(uses=["training", "de_aging", "aging_up"]))
    consent.grant_submit(grant=grant, document=pdf_file(), by=w.rep)
    return consent.grant_approve(grant=grant, by=w.counsel)


def _worker(barrier: threading.Barrier, job: Job, rendered) -> None:
    try:
        barrier.wait()
        claimed = job_claim(job_id=str(job.pk), worker="race")
        if claimed is None:
            return
        decision = job_decide(job=claimed, purpose=DecisionPurpose.CLAIM, by=None)
        if not decision.allowed:
            job_stop(job_id=str(job.pk), attempt=claimed.attempt, state=JobState.REVOKED,
                     reason=decision.explanation)
            return
        job_finish_aging(job_id=str(job.pk), attempt=claimed.attempt, rendered=rendered, mime="video/mp4",
                         engine_seconds=0.0, stats={"frames_total": 12})
    finally:
        connection.close()


def _revoker(barrier: threading.Barrier, w, grant, round_: int, delay: float) -> None:
    try:
        barrier.wait()
        # Spread the revocation over the worker's claim -> gate -> record path, so both orders occur.
        time.sleep(delay)
        consent.grant_revoke(grant=grant, by=w.counsel, reason=f"race {round_}")
    finally:
        connection.close()


def test_revocation_races_claims(live_world, ready_model, footage, tmp_path):
    w = live_world
    produced_after_revocation = []
    outputs = 0
    delays = random.Random(2026)
    for round_ in range(ROUNDS):
        grant = w.grant if round_ == 0 else _fresh_grant(w)
        ready_model.grant = grant
        ready_model.status = "ready"
        ready_model.save(update_fields=["grant", "status"])
        job = Job.objects.create(kind=JobKind.AGING, performer=w.performer, production=w.production,
                                 requested_by=w.vfx, likeness_model=ready_model, plate_sha256="0" * 64,
                                 params={"target_age": 30, "frame_start": 0, "frame_end": 12})
        job.plate.name = "plates/none.mp4"
        job.submit_decision = job_decide(job=job, purpose=DecisionPurpose.SUBMIT, by=w.vfx)
        assert job.submit_decision.allowed, job.submit_decision.explanation
        job.state = JobState.QUEUED
        job.save()
        rendered = tmp_path / f"render-{round_}.mp4"
        shutil.copy(footage.plate, rendered)
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=_worker, args=(barrier, job, rendered)),
                   threading.Thread(target=_revoker, args=(barrier, w, grant, round_, delays.uniform(0, 0.25)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        grant.refresh_from_db()
        for output in Output.objects.filter(job_ref=str(job.pk)):
            outputs += 1
            if output.created_at >= grant.revoked_at:
                produced_after_revocation.append(str(output.pk))
        job.refresh_from_db()
        # Every round ends with the grant revoked: a job whose output was recorded first ends withdrawn with it.
        assert job.state in (JobState.WITHDRAWN, JobState.REVOKED, JobState.CANCELLED), job.state
        assert (job.state == JobState.WITHDRAWN) == Output.objects.filter(job_ref=str(job.pk)).exists(), job.state
    assert produced_after_revocation == []
    assert 0 < outputs < ROUNDS, f"the race was one-sided ({outputs} outputs in {ROUNDS} rounds): it tested nothing"
    print(f"\n{ROUNDS} races: {outputs} outputs recorded before revocation, 0 after")
