"""Jobs through a real Celery worker process on a real broker: submit -> train -> age -> output recorded;
revocation stops a running job within one chunk; a worker killed with SIGKILL mid-job loses nothing."""
from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from likeness.audit.selectors import audit_chain_verify
from likeness.consent.services import grant_revoke
from likeness.jobs.models import Job, JobState, ModelStatus
from likeness.provenance.models import Output

pytestmark = pytest.mark.slow


def vfx_client(world):
    client = APIClient()
    client.force_authenticate(world.vfx)
    return client


def submit_aging(world, model, plate, **extra):
    with open(plate, "rb") as handle:
        return vfx_client(world).post("/api/v1/jobs/aging/", {
            "performer": world.performer.pk, "production": world.production.pk, "likeness_model": str(model.pk),
            "plate": handle, "target_age": 30, **extra}, format="multipart")


def rendered_files(settings) -> list:
    folder = settings.ENGINE_WORK_DIR / "renders"
    return sorted(folder.iterdir()) if folder.exists() else []


def assert_no_render_left(settings, helpers) -> None:
    """The worker removes its work copy of a render just after it records the job's end, so a test that saw
    the new state may look a moment before the removal: wait briefly for it."""
    helpers.wait_for(lambda: rendered_files(settings) == [], timeout=15,
                     what=f"the worker to remove its work copies of renders: {rendered_files(settings)}")


def test_submit_train_age_output(workers, live_world, footage, helpers, settings):
    from engine.media import probe

    workers.start("w1")
    w = live_world
    response = vfx_client(w).post("/api/v1/jobs/training/", {
        "performer": w.performer.pk, "production": w.production.pk,
        "reference_materials": [m.pk for m in w.references], "size": "tiny", "steps": 40}, format="json")
    assert response.status_code == 201, response.json()
    training = Job.objects.get(pk=response.json()["id"])
    helpers.wait_for(lambda: helpers.job_state(training) in ("completed", "failed", "revoked"), timeout=300,
                     what="training to finish", workers=workers)
    assert training.state == JobState.COMPLETED, (training.state_reason, workers.log_of("w1")[-3000:])
    model = training.trained_model
    assert model.status == ModelStatus.READY and len(model.weights_sha256) == 64
    assert model.grant == w.grant and model.decision in training.decisions.all()
    assert sorted(model.reference_sha256) == sorted(m.sha256 for m in w.references)
    assert len(model.dataset_manifest_sha256) == 64
    # The world's reference films are one per age: training says so, on the model and in the job's log.
    assert model.target_ages == [10.0, 90.0]
    five_years = sorted({5 * (m.performer_age // 5) for m in w.references})
    assert [b["ages"] for b in model.reference_balance["bins"]] == [f"{a}-{a + 5}" for a in five_years]
    assert any("confounded with source" in line for line in model.reference_balance["warnings"])
    said = [line.message for line in training.log_lines.all()]
    assert any(line.startswith("reference balance: age is confounded with source") for line in said), said

    response = submit_aging(w, model, footage.plate, frame_start=2, frame_end=10)
    assert response.status_code == 201, response.json()
    aging = Job.objects.get(pk=response.json()["id"])
    helpers.wait_for(lambda: helpers.job_state(aging) not in ("queued", "running"), timeout=180,
                     what="aging to finish", workers=workers)
    assert aging.state == JobState.AWAITING_APPROVAL, (aging.state_reason, workers.log_of("w1")[-3000:])
    output = aging.output
    assert output is not None and output.job_ref == str(aging.pk)
    assert output.status == "awaiting_approval" and len(output.sha256) == 64
    info = probe(output.file.path)
    assert (info.frame_count, info.width, info.height, round(info.fps)) == (8, 192, 192, 24)
    purposes = set(aging.decisions.values_list("purpose", flat=True))
    assert {"submit", "claim", "chunk"} <= purposes
    progress = vfx_client(w).get(f"/api/v1/jobs/{aging.pk}/").json()
    assert progress["progress"]["done"] == progress["progress"]["total"] == 8
    assert any("rendered 8 frames" in line["message"] for line in progress["log"])
    assert_no_render_left(settings, helpers)

    # Release: the performer's counsel approves, the studio releases; the gate is asked again and the file is
    # signed with C2PA Content Credentials that verify against the platform's anchors.
    from django.core.management import call_command

    from likeness.provenance.c2pa_context import platform_anchors
    from likeness.provenance.verification import verify_path

    call_command("pki_init", "--if-missing")
    counsel = APIClient()
    counsel.force_authenticate(w.counsel)
    assert vfx_client(w).post(f"/api/v1/jobs/{aging.pk}/release/").status_code == 400  # not approved yet
    approved = counsel.post(f"/api/v1/provenance/outputs/{output.pk}/approve/", {"note": "approved with talent"},
                            format="json")
    assert approved.status_code == 200, approved.json()
    released = vfx_client(w).post(f"/api/v1/jobs/{aging.pk}/release/")
    assert released.status_code == 200, released.json()
    assert released.json()["state"] == "released"
    output.refresh_from_db()
    assert output.status == "released" and output.manifest_label
    assert aging.decisions.filter(purpose="release", outcome__in=["allow", "allow_with_obligations"]).exists()
    report = verify_path(output.file.path, anchors_pem=platform_anchors())
    assert report.state == "Trusted", report.as_dict()
    assert audit_chain_verify().ok


def test_revocation_stops_a_running_job_within_one_chunk(workers, live_world, ready_model, footage, helpers,
                                                         settings):
    workers.start("w1")
    response = submit_aging(live_world, ready_model, footage.running_plate)
    assert response.status_code == 201, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    helpers.wait_for(lambda: (job.refresh_from_db() or job.progress_done >= 8), timeout=120,
                     what="the job to render some frames", workers=workers)
    grant_revoke(grant=live_world.grant, by=live_world.counsel, reason="performer withdrew consent mid-shoot")
    committed = timezone.now()  # grant_revoke is atomic: the revocation is committed (in effect) from here
    helpers.wait_for(lambda: helpers.job_state(job) != "running", timeout=60, what="the job to stop", workers=workers)
    assert job.state == JobState.REVOKED, (job.state, job.state_reason)
    assert "revoked" in job.state_reason and "performer withdrew consent" in job.state_reason
    assert job.output is None and not Output.objects.exists()
    assert_no_render_left(settings, helpers)
    stop = job.decisions.filter(purpose="chunk", outcome="deny").first()
    assert stop is not None, "the stop must rest on a recorded denial"
    ready_model.refresh_from_db()
    assert ready_model.status == ModelStatus.QUARANTINED
    # Within one chunk: revocation takes effect when its transaction commits (not at `revoked_at`, stamped when
    # the transaction began: under load the commit can come chunks later). A consent check that read the grant
    # just before that commit may still be stored after it and allow one last chunk; the check after it must be
    # the denial that stopped the job.
    after = [d.outcome for d in job.decisions.filter(purpose="chunk", created_at__gte=committed)
             .order_by("created_at")]
    assert after[-1] == "deny" and after.count("deny") == 1, after
    assert len(after) <= 2, f"more than one chunk was checked after the revocation: {after}"
    assert job.progress_done < 1920


def test_worker_killed_mid_job_another_finishes_without_duplicates(workers, live_world, ready_model, footage, helpers,
                                                                   settings):
    import time

    first = workers.start("w1")
    response = submit_aging(live_world, ready_model, footage.running_plate)
    assert response.status_code == 201, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    helpers.wait_for(lambda: (job.refresh_from_db() or job.progress_done >= 8), timeout=120,
                     what="the job to be under way", workers=workers)
    workers.kill(first)
    assert helpers.job_state(job) == JobState.RUNNING
    time.sleep(3.5)  # the heartbeat goes silent: the claim is stale after 3 s in this test
    workers.start("w2")
    helpers.wait_for(lambda: helpers.job_state(job) not in ("queued", "running"), timeout=180,
                     what="the second worker to finish", workers=workers)
    assert job.state == JobState.AWAITING_APPROVAL, (job.state_reason, workers.log_of("w2")[-3000:])
    assert job.attempt == 2
    assert Output.objects.filter(job_ref=str(job.pk)).count() == 1
    assert job.log_lines.filter(message__contains="went silent").exists()
    assert_no_render_left(settings, helpers)
