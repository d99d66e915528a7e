"""What the pages say about workers, from the worker registry's rows as worker processes write them (the rows
are written here through the same services a worker calls; test_embedded_platform.py runs real workers)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from likeness.jobs.models import Job, JobKind, JobState
from likeness.operations import services
from likeness.operations.models import WorkerBeat
from likeness.operations.selectors import queue_health

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def queued_job(world):
    return Job.objects.create(kind=JobKind.TRAINING, performer=world.performer, production=world.production,
                              requested_by=world.vfx, state=JobState.QUEUED, params={"size": "tiny"})


def test_a_queued_job_with_no_worker_ever_says_nothing_will_start(world, queued_job):
    page = text(signed_in(world.vfx).get(f"/jobs/{queued_job.pk}/live/"))
    assert "No worker is running for this." in page
    assert "No worker has ever run on the gpu queue" in page


def test_the_job_page_names_the_live_worker_and_its_heartbeat(world, queued_job):
    services.worker_register(name="gpu@render-1", queues=["gpu"])
    page = text(signed_in(world.vfx).get(f"/jobs/{queued_job.pk}/"))
    assert "1 worker alive on the gpu queue (0 busy); last heartbeat 0 s ago" in page
    assert "No worker is running" not in page
    # A worker of another queue does not count for engine work.
    WorkerBeat.objects.all().delete()
    services.worker_register(name="default@render-1", queues=["default"])
    assert "No worker is running for this." in text(signed_in(world.vfx).get(f"/jobs/{queued_job.pk}/live/"))


def test_a_killed_worker_goes_silent_and_a_stopped_one_says_stopped(world, queued_job, settings):
    services.worker_register(name="gpu@render-1", queues=["gpu"])
    long_ago = timezone.now() - dt.timedelta(seconds=settings.WORKER_SILENT_SECONDS + 5)
    WorkerBeat.objects.update(last_seen_at=long_ago)
    page = text(signed_in(world.vfx).get(f"/jobs/{queued_job.pk}/live/"))
    assert "No worker is alive on the gpu queue" in page
    assert "gpu@render-1, went silent (it was killed or its machine stopped); last heartbeat" in page
    services.worker_register(name="gpu@render-1", queues=["gpu"])
    services.worker_stopped(name="gpu@render-1")
    assert "gpu@render-1, stopped;" in text(signed_in(world.vfx).get(f"/jobs/{queued_job.pk}/live/"))
    # Started again under the same name: alive, the stop belongs to its previous life.
    services.worker_register(name="gpu@render-1", queues=["gpu"])
    assert queue_health("gpu").ok


def test_a_settled_job_does_not_talk_about_workers(world, queued_job):
    Job.objects.filter(pk=queued_job.pk).update(state=JobState.FAILED, state_reason="the plate was unreadable")
    assert "worker-health" not in text(signed_in(world.vfx).get(f"/jobs/{queued_job.pk}/live/"))


def test_busy_and_done_are_recorded_per_task(world):
    services.worker_register(name="gpu@render-1", queues=["gpu"])
    services.worker_busy(name="gpu@render-1", doing="run_job 1234")
    health = queue_health("gpu")
    assert health.busy == 1 and health.alive[0].busy_with == "run_job 1234"
    services.worker_idle(name="gpu@render-1")
    beat = WorkerBeat.objects.get()
    assert beat.busy_with == "" and beat.tasks_done == 1


def test_operators_see_platform_health(world):
    services.worker_register(name="gpu@render-1", queues=["gpu"])
    response = signed_in(world.ops).get("/operations/health/")
    assert response.status_code == 200
    page = text(response)
    for part in ("Queues and workers", "Signing certificate", "Audit chain", "Disk"):
        assert part in page
    assert 'data-worker="gpu@render-1" data-status="idle"' in page
    # The sweeps and default queues have no worker here: each row says so.
    assert "No worker has ever run on the sweeps queue" in page
    assert "Intact:" in page


@pytest.mark.parametrize("who", ["studio_admin", "studio_legal", "vfx", "auditor", "rep", "other_legal"])
def test_only_operators_see_platform_health(world, who):
    response = signed_in(getattr(world, who)).get("/operations/health/")
    assert response.status_code == 403
    assert "Only the platform&#x27;s operators may see its health." in text(response)
    assert "Platform health" not in text(signed_in(getattr(world, who)).get("/"))


def test_the_health_page_is_in_the_operators_navigation(world):
    assert 'href="/operations/health/"' in text(signed_in(world.ops).get("/"))
