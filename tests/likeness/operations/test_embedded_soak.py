"""The embedded default under load: real workers (two engine workers and the sweeps worker with the schedule)
on the embedded SQLite broker, fed aging jobs and live previews from several threads while pages are loaded,
for LIKENESS_SOAK_SECONDS (150 by default; set it higher for a longer soak). Every job must end exactly once:
rendered by its first attempt, one output each, no message lost or delivered twice, no worker error."""
from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from likeness.jobs.models import PREVIEW_LIVE_STATES, Job, JobState, PreviewSession, PreviewSource
from likeness.operations.models import WorkerBeat
from likeness.operations.selectors import queue_depths
from likeness.provenance.models import Output

SOAK_SECONDS = float(os.environ.get("LIKENESS_SOAK_SECONDS", "150"))
# Jobs waiting at most, so the load is steady for the whole soak instead of a backlog that outlives it.
BACKLOG = 3

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("LIKENESS_TEST_BROKER") == "redis",
                                 reason="the soak is of the embedded broker (this pass runs on Redis)")]


def _preview_grant(world: Any) -> None:
    from likeness.consent import services as consent
    from tests.conftest import grant_scope
    from tests.factories import pdf_file

    grant = consent.grant_draft_create(
        performer=world.performer, productions=[world.production], by=world.rep,
        **grant_scope(uses=["realtime_preview"], media=["on_set_monitor"], depicted_age_min=25, depicted_age_max=45))
    consent.grant_submit(grant=grant, document=pdf_file(), by=world.rep)
    consent.grant_approve(grant=grant, by=world.counsel)


class Load(threading.Thread):
    """One source of load, repeating `step` until the soak ends; keeps its own database connection."""

    def __init__(self, name: str, step: Any, pause: float, until: float):
        super().__init__(name=name, daemon=True)
        self.step, self.pause, self.until = step, pause, until
        self.errors: list[str] = []
        self.count = 0

    def run(self) -> None:
        try:
            while time.monotonic() < self.until:
                try:
                    if self.step():
                        self.count += 1
                except Exception as exc:  # every failure is reported by the test
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                time.sleep(self.pause)
        finally:
            connection.close()


def test_jobs_previews_and_pages_for_minutes_lose_nothing(workers, live_world, ready_model, footage, helpers,
                                                          tmp_path):
    from likeness.jobs.previews import preview_session_start, preview_session_stop
    from likeness.jobs.submission import job_submit_aging

    w = live_world
    _preview_grant(w)
    workers.start("w1")
    workers.start("w2")
    workers.start("s1", "sweeps", "-B", "--schedule", str(tmp_path / "beat-schedule"))
    until = time.monotonic() + SOAK_SECONDS
    submitted: list[str] = []
    previews: list[str] = []

    def submit() -> bool:
        if Job.objects.filter(pk__in=submitted, state=JobState.QUEUED).count() >= BACKLOG:
            return False
        with open(footage.plate, "rb") as handle:
            job = job_submit_aging(performer=w.performer, production=w.production, likeness_model=ready_model,
                                   plate=handle, plate_name="plate.mp4", target_age=30, by=w.vfx)
        assert job.state == JobState.QUEUED, job.state_reason
        submitted.append(str(job.pk))
        return True

    def preview() -> bool:
        session = preview_session_start(
            performer=w.performer, production=w.production, likeness_model=ready_model,
            source_kind=PreviewSource.REFERENCE, reference_material=w.references[0], target_age=30, by=w.vfx,
            loop=True, max_seconds=20)
        previews.append(str(session.pk))
        time.sleep(4)
        session.refresh_from_db()
        if session.state in PREVIEW_LIVE_STATES:
            preview_session_stop(session=session, by=w.vfx, reason="soak: next take")
        return True

    vfx, ops = Client(), Client()
    vfx.force_login(w.vfx)
    ops.force_login(w.ops)
    statuses: dict[int, int] = {}

    def pages() -> bool:
        paths = ["/jobs/", "/operations/health/"] + [f"/jobs/{pk}/live/" for pk in submitted[-2:]]
        for path in paths:
            code = (ops if path.startswith("/operations") else vfx).get(path).status_code
            statuses[code] = statuses.get(code, 0) + 1
        return True

    loads = [Load("submit-a", submit, 1.0, until), Load("submit-b", submit, 1.3, until),
             Load("preview", preview, 6.0, until), Load("pages", pages, 0.5, until)]
    for load in loads:
        load.start()
    for load in loads:
        load.join(timeout=SOAK_SECONDS + 120)
    assert not [e for load in loads for e in load.errors], {load.name: load.errors[:3] for load in loads}

    helpers.wait_for(lambda: not Job.objects.filter(pk__in=submitted, state__in=[JobState.QUEUED, JobState.RUNNING])
                     .exists(), timeout=600, what="every soak job to finish", workers=workers)
    helpers.wait_for(lambda: not PreviewSession.objects.filter(pk__in=previews, state__in=PREVIEW_LIVE_STATES)
                     .exists(), timeout=120, what="every preview to end", workers=workers)
    jobs = list(Job.objects.filter(pk__in=submitted))
    assert len(jobs) == len(submitted) >= 10, f"only {len(submitted)} jobs ran in {SOAK_SECONDS:.0f} s"
    wrong = [(j.pk, j.state, j.attempt, j.state_reason) for j in jobs
             if j.state != JobState.AWAITING_APPROVAL or j.attempt != 1]
    assert not wrong, wrong
    # Exactly one output per job: nothing was delivered twice.
    assert Output.objects.filter(job_ref__in=submitted).count() == len(submitted)
    assert statuses.get(200, 0) > 0 and set(statuses) == {200}, statuses
    # Nothing is left in the broker, and the workers counted what they did.
    assert queue_depths(["gpu", "default", "sweeps"]) == {"gpu": 0, "default": 0, "sweeps": 0}
    done = dict(WorkerBeat.objects.values_list("name", "tasks_done"))
    assert sum(v for k, v in done.items() if not k.startswith("s1@")) >= len(submitted) + len(previews), done
    for name in ("w1", "w2", "s1"):
        log = workers.log_of(name)
        assert "Traceback" not in log and "JSONDecodeError" not in log, log[-3000:]
    print(f"soak: {len(submitted)} jobs, {len(previews)} previews, {sum(statuses.values())} page loads in "
          f"{SOAK_SECONDS:.0f} s; tasks per worker {done}")
