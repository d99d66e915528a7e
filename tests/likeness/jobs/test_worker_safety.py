"""Workers that fail safely: a job is started at most JOB_MAX_ATTEMPTS times (a poison job that stops every
worker fails with the reason instead of looping); the sweeps run on a queue no engine worker consumes; no
transaction (on SQLite: the one write lock) is held while the engine works or while a result is stored."""
from __future__ import annotations

import datetime as dt
import re
import shlex
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from likeness.audit.models import AuditEvent
from likeness.jobs.models import Job, JobKind, JobState
from likeness.jobs.submission import job_submit_aging, job_submit_training
from likeness.jobs.worker import job_claim, job_finish_aging, job_unclaim, jobs_requeue_stale
from tests.likeness.concurrency import Pauses, probe_other_writer

REPO = Path(django_settings.BASE_DIR)


def queued_training_job(world: Any, **fields: Any) -> Job:
    return Job.objects.create(kind=JobKind.TRAINING, performer=world.performer, production=world.production,
                              requested_by=world.vfx, params={"size": "tiny", "steps": 1}, state=JobState.QUEUED,
                              queued_at=timezone.now(), **fields)


def go_silent(job: Job, seconds: float = 120) -> None:
    """The worker holding the job stops sending heartbeats (killed, hung, its host lost)."""
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(seconds=seconds))


def audit_actions(job: Job) -> list[str]:
    return list(AuditEvent.objects.filter(object_type="jobs.job", object_id=str(job.pk)).order_by("seq")
                .values_list("action", flat=True))


# ----- attempts -----------------------------------------------------------------------------------------------

def test_a_poison_job_is_requeued_until_its_last_attempt_then_failed_with_the_reason(
        world, settings, django_capture_on_commit_callbacks):
    settings.JOB_MAX_ATTEMPTS = 3
    job = queued_training_job(world)
    requeues = []
    for attempt in (1, 2, 3):
        claimed = job_claim(job_id=str(job.pk), worker=f"gpu-0@host{attempt}")
        assert claimed is not None and claimed.attempt == attempt
        go_silent(job)  # the plate crashes the engine: the worker dies every time
        with django_capture_on_commit_callbacks() as enqueued:
            requeues.append(jobs_requeue_stale())
        job.refresh_from_db()
        if attempt < 3:
            assert requeues[-1] == [str(job.pk)] and job.state == JobState.QUEUED
            assert len(enqueued) == 1, "a requeued job is sent to the GPU queue again"
        else:
            assert requeues[-1] == [] and len(enqueued) == 0, "the last attempt is not queued again"
    assert job.state == JobState.FAILED and job.attempt == 3 and job.finished_at is not None
    assert "failed after 3 attempts" in job.state_reason
    assert "LIKENESS_JOB_MAX_ATTEMPTS=3" in job.state_reason
    assert "stopped responding 3 times" in job.state_reason and "gpu-0@host3" in job.state_reason
    assert job.log_lines.filter(level="error", message__contains="failed after 3 attempts").exists()
    # Nothing starts it again: a later delivery of its message finds a failed job.
    assert job_claim(job_id=str(job.pk), worker="gpu-1@host") is None
    assert jobs_requeue_stale() == []
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempt == 3
    assert audit_actions(job) == ["job.claimed", "job.requeued", "job.claimed", "job.requeued", "job.claimed",
                                  "job.failed"]
    failed = AuditEvent.objects.get(object_id=str(job.pk), action="job.failed")
    assert failed.data["attempt"] == 3 and failed.data["max_attempts"] == 3 and failed.data["silences"] == 3
    assert failed.data["reason"] == job.state_reason
    call_command("audit_verify")


def test_the_limit_is_a_setting(world, settings):
    settings.JOB_MAX_ATTEMPTS = 1
    job = queued_training_job(world)
    assert job_claim(job_id=str(job.pk), worker="w") is not None
    go_silent(job)
    assert jobs_requeue_stale() == []
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "failed after 1 attempt," in job.state_reason
    assert "stopped responding 1 time;" in job.state_reason


def test_a_live_worker_on_its_last_attempt_is_left_alone(world, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    job = queued_training_job(world, attempt=1)
    assert job_claim(job_id=str(job.pk), worker="w").attempt == 2
    assert jobs_requeue_stale() == []  # its heartbeat is fresh
    job.refresh_from_db()
    assert job.state == JobState.RUNNING


def test_a_redelivered_task_counts_as_an_attempt(world, settings):
    """Whatever queued the job again (a broker re-delivery, a retry after a database error, an older release
    without the limit), a claim past the limit fails the job instead of starting it."""
    settings.JOB_MAX_ATTEMPTS = 3
    job = queued_training_job(world, attempt=3)
    assert job_claim(job_id=str(job.pk), worker="gpu-0@host") is None
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempt == 3
    assert "started 3 times without finishing" in job.state_reason
    assert audit_actions(job) == ["job.failed"]
    call_command("audit_verify")


def test_a_job_given_back_on_its_last_attempt_fails(world, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    job = queued_training_job(world)
    first = job_claim(job_id=str(job.pk), worker="w")
    assert job_unclaim(job_id=str(job.pk), attempt=first.attempt, reason="database unavailable")
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    second = job_claim(job_id=str(job.pk), worker="w")
    assert job_unclaim(job_id=str(job.pk), attempt=second.attempt, reason="database unavailable")
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "attempt 2 of 2" in job.state_reason
    assert "database unavailable" in job.state_reason
    call_command("audit_verify")


# ----- where the sweeps run -----------------------------------------------------------------------------------

SWEEPS = ("likeness.jobs.tasks.requeue_stale_jobs", "likeness.jobs.tasks.expire_grants",
          "likeness.audit.tasks.write_audit_checkpoint", "likeness.operations.tasks.operations_housekeeping")


def _queue_of(task: str, options: dict[str, Any] | None = None) -> str:
    from likeness.celery import app

    return app.amqp.router.route(options or {}, task)["queue"].name


def _worker_commands(text: str) -> list[str]:
    """The `celery ... worker` and `celery ... beat` command lines in a Makefile recipe or a shell script, with
    make variables expanded enough to read their options."""
    text = text.replace("\\\n", " ").replace("$(CELERY_WORKER)", "celery -A likeness worker")
    commands = [part for line in text.splitlines() for part in re.split(r" & |; ", line)]
    return [c for c in commands if re.search(r"celery\b.*\b(worker|beat)\b", c)]


def _queues(command: str) -> set[str]:
    args = shlex.split(command.split(">")[0])
    if "-Q" not in args:
        return {"default"}  # Celery's task_default_queue
    return set(args[args.index("-Q") + 1].split(","))


def _make_recipe(target: str) -> str:
    lines, inside = [], False
    for line in (REPO / "Makefile").read_text().splitlines():
        if re.match(rf"^{target}:", line):
            inside = True
            continue
        if inside and not line.startswith("\t"):
            break
        if inside:
            lines.append(line.strip())
    return "\n".join(lines)


def test_sweeps_are_routed_to_their_own_queue():
    from likeness.celery import app

    sweeps_queue = {_queue_of(task) for task in SWEEPS}
    assert sweeps_queue == {"sweeps"}
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in SWEEPS
        assert _queue_of(entry["task"], entry.get("options")) == "sweeps"
        assert entry["options"]["expires"] <= entry["schedule"], "an unconsumed sweep must not pile up"
    assert _queue_of("likeness.jobs.tasks.run_job") == "gpu"
    assert _queue_of("likeness.provenance.tasks.output_fingerprint_task") == "default"


@pytest.mark.parametrize("where", ["make run", "make worker", "platform"])
def test_no_engine_worker_consumes_the_sweeps(where):
    sweeps_queue = _queue_of(SWEEPS[0])
    if where == "platform":
        text = "\n".join(p.read_text() for p in sorted((REPO / "platform" / "bin").glob("*.sh")))
    elif where == "make run":
        # `make run` runs the supervisor, which starts the workers: read the command lines it runs.
        from likeness.operations.management.commands.run_platform import worker_children

        assert "manage.py run_platform" in _make_recipe("run")
        text = "\n".join(shlex.join(["celery", *c.argv[c.argv.index("-A"):]]) for c in worker_children(REPO / "var"))
    else:
        text = _make_recipe(where.split()[1])
    commands = _worker_commands(text)
    workers = [c for c in commands if re.search(r"\bworker\b", c)]
    assert workers, f"no worker in {where}"
    for command in workers:
        if "gpu" in _queues(command):
            assert sweeps_queue not in _queues(command), f"{where}: an engine worker consumes the sweeps: {command}"
    if where != "make worker":  # `make run` and a deployment run the sweeps and their schedule
        assert any(sweeps_queue in _queues(c) for c in workers), f"{where}: nothing consumes {sweeps_queue}"
        assert any(re.search(r"\bbeat\b| -B\b", c) for c in commands), f"{where}: nothing runs the schedule"
        beat = [c for c in commands if re.search(r" -B\b", c)]
        assert all("gpu" not in _queues(c) for c in beat), f"{where}: the schedule runs inside an engine worker"


def test_database_connections_are_health_checked():
    assert django_settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


# ----- no transaction spans engine work or a file copy ---------------------------------------------------------

def _break_the_heartbeats_database() -> Any:
    """Make the heartbeat's next writes fail for real, the way production databases do. SQLite: another
    process holds the write lock longer than the heartbeat's connection waits ("database is locked").
    PostgreSQL: the server ends the heartbeat's session (a restart or failover). Returns a function that
    ends the outage."""
    if connection.vendor == "sqlite":
        locker = sqlite3.connect(connection.settings_dict["NAME"], timeout=5.0, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")

        def release() -> None:
            locker.execute("COMMIT")
            locker.close()
        return release
    with connection.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND query LIKE %s", ["%heartbeat_at%"])
    return lambda: None


def test_a_heartbeat_that_meets_a_database_error_misses_a_beat_and_keeps_beating(live_world, settings,
                                                                                   monkeypatch):
    """A heartbeat thread that died on one refused write would leave a job that is still running to go stale,
    be swept and run a second time beside the first."""
    from likeness.jobs.runner import Heartbeat

    settings.JOB_HEARTBEAT_SECONDS = 0.1
    if connection.vendor == "sqlite":  # the heartbeat's connection waits 0.3 s for the lock, not 30
        from django.db import connections

        monkeypatch.setitem(connections.settings["default"]["OPTIONS"], "timeout", 0.3)
    job = queued_training_job(live_world)
    assert job_claim(job_id=str(job.pk), worker="gpu-0@test") is not None
    heartbeat = Heartbeat(str(job.pk), 1)
    heartbeat.start()
    try:
        time.sleep(0.5)  # beating: its connection is open
        release = _break_the_heartbeats_database()
        try:
            time.sleep(1.0)  # several beats' time, each waiting 0.3 s at most on SQLite
        finally:
            release()
        assert heartbeat.missed >= 1, "the outage did not reach the heartbeat"
        after = timezone.now()
        deadline = time.monotonic() + 10
        while Job.objects.get(pk=job.pk).heartbeat_at < after and time.monotonic() < deadline:
            time.sleep(0.05)
        assert heartbeat.is_alive()
        assert Job.objects.get(pk=job.pk).heartbeat_at >= after, "no beat was written after the outage"
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=5)
    assert jobs_requeue_stale() == []


def _fake_engine(kind: str, pauses: Pauses, plate: Path) -> Any:
    """Stands in for the engine: reports progress, asks the consent check, then stops mid-chunk at a pause."""

    def work(out: Path, progress: Any, should_continue: Any) -> None:
        progress("render", 1, 4)
        assert should_continue()
        pauses.point("engine")
        shutil.copy(plate, out)
        progress("render", 4, 4)

    if kind == "training":
        def train_model(refs: Any, *, out_path: Path, progress: Any, should_continue: Any, **kw: Any) -> Any:
            work(Path(out_path), progress, should_continue)
            meta = SimpleNamespace(dataset_manifest_sha256="0" * 64, steps=1, age_range=(25.0, 66.0),
                                   engine_version="test", config=SimpleNamespace(age_min=10.0, age_max=90.0))
            return SimpleNamespace(meta=meta, seconds=0.1, history={"loss": [1.0, 0.5]}, balance=None)
        return train_model

    def age_video(plate_path: Any, out: Path, checkpoint: Any, target_age: float, *, progress: Any,
                  should_continue: Any, **kw: Any) -> Any:
        work(Path(out), progress, should_continue)
        return SimpleNamespace(frames_total=4, frames_with_face=4, frames_passed_through=0, width=192, height=192,
                               fps=24.0, stage_ms_per_frame={}, seconds=0.1, frames_not_performer=0,
                               identity_distance=0.3)
    return age_video


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["training", "aging"])
def test_other_writers_are_not_held_up_while_the_engine_works_or_a_result_is_stored(
        kind, live_world, broker, footage, request, monkeypatch, settings):
    import engine.api
    import engine.figures
    from likeness.jobs import runner

    w = live_world
    model = request.getfixturevalue("ready_model") if kind == "aging" else None  # before storage is slowed
    settings.JOB_HEARTBEAT_SECONDS = 0.2  # heartbeats keep writing meanwhile: each must be a moment only
    pauses = Pauses()
    name = "train_model" if kind == "training" else "age_video"
    monkeypatch.setattr(engine.api, name, _fake_engine(kind, pauses, footage.plate))
    monkeypatch.setattr(engine.figures, "training_figures", lambda *a, **kw: {})
    original_save = FileSystemStorage._save

    def slow_save(storage: FileSystemStorage, stored_name: str, content: Any) -> str:
        if stored_name.startswith(("models/", "outputs/")):  # the checkpoint or the render: a slow copy
            pauses.point("store")
        return original_save(storage, stored_name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", slow_save)
    with transaction.atomic():
        if kind == "training":
            job = job_submit_training(performer=w.performer, production=w.production,
                                      reference_materials=w.references, by=w.vfx, size="tiny", steps=1)
        else:
            with open(footage.plate, "rb") as plate:
                job = job_submit_aging(performer=w.performer, production=w.production,
                                       likeness_model=model, plate=plate, plate_name="plate.mp4",
                                       target_age=30, by=w.vfx, frame_start=0, frame_end=4)
    assert job.state == JobState.QUEUED, job.state_reason
    outcome: dict[str, Any] = {}

    def worker() -> None:
        try:
            outcome["result"] = runner.run_job(str(job.pk), worker="gpu-0@test")
        except BaseException as exc:  # reported by the test below
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    try:
        pauses.wait("engine", thread)
        during_engine = probe_other_writer(str(job.pk), w.grant.pk)
        pauses.release("engine")
        pauses.wait("store", thread)
        during_store = probe_other_writer(str(job.pk), w.grant.pk)
    finally:
        pauses.release("engine")
        pauses.release("store")
        thread.join(120)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome
    assert during_engine == "", f"a writer was held up while the engine worked: {during_engine}"
    assert during_store == "", f"a writer was held up while the worker stored its result: {during_store}"
    assert pauses.in_transaction == {"engine": False, "store": False}, pauses.in_transaction
    job.refresh_from_db()
    expected = JobState.COMPLETED if kind == "training" else JobState.AWAITING_APPROVAL
    assert job.state == expected, (job.state, job.state_reason, outcome)
    if kind == "training":
        assert job.trained_model.checkpoint and job.trained_model.status == "ready"
        assert job.trained_model.checkpoint.storage.exists(job.trained_model.checkpoint.name)
    else:
        assert job.output.file.storage.exists(job.output.file.name)
        assert str(job.output.pk) in job.output.file.name
    call_command("audit_verify")


def test_other_writers_are_not_held_up_while_a_submitted_plate_is_stored(live_world, footage, ready_model,
                                                                        monkeypatch):
    """A plate (up to gigabytes) is copied into storage before the short transaction that records the job: while
    the copy is held, another user's write goes through at once. The job is recorded and queued afterwards."""
    w = live_world
    pauses = Pauses()
    pauses.pause_storage_copies(monkeypatch, "plates/")
    outcome: dict[str, Any] = {}

    def submit() -> None:
        try:
            with open(footage.plate, "rb") as plate:
                outcome["job"] = job_submit_aging(performer=w.performer, production=w.production,
                                                  likeness_model=ready_model, plate=plate, plate_name="plate.mp4",
                                                  target_age=30, by=w.vfx, frame_start=0, frame_end=4)
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=submit, daemon=True)
    thread.start()
    with pauses.held("store", thread):
        during_store = probe_other_writer("00000000-0000-0000-0000-000000000000", w.grant.pk)
    assert "error" not in outcome, outcome
    assert during_store == "", f"a writer was held up while the plate was stored: {during_store}"
    assert pauses.in_transaction == {"store": False}
    job = outcome["job"]
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.plate.storage.exists(job.plate.name)


@pytest.mark.slow
def test_a_result_refused_after_it_was_stored_leaves_no_file(live_world, broker, footage, ready_model, monkeypatch,
                                                             settings):
    """The render is copied into storage before the short transaction that records it; when that transaction
    refuses it (here: the claim was taken over meanwhile), the stored copy is deleted."""
    from likeness.provenance.models import Output

    w = live_world
    with transaction.atomic(), open(footage.plate, "rb") as plate:
        job = job_submit_aging(performer=w.performer, production=w.production, likeness_model=ready_model,
                               plate=plate, plate_name="plate.mp4", target_age=30, by=w.vfx,
                               frame_start=0, frame_end=4)
    claimed = job_claim(job_id=str(job.pk), worker="w1")
    original_save = FileSystemStorage._save
    stored: list[str] = []

    def save_then_lose_claim(storage: FileSystemStorage, name: str, content: Any) -> str:
        saved = original_save(storage, name, content)
        if name.startswith("outputs/"):
            stored.append(saved)
            go_silent(job)
            jobs_requeue_stale()  # another worker's turn now
        return saved

    monkeypatch.setattr(FileSystemStorage, "_save", save_then_lose_claim)
    render = Path(settings.MEDIA_ROOT).parent / "render.mp4"
    shutil.copy(footage.plate, render)
    assert not job_finish_aging(job_id=str(job.pk), attempt=claimed.attempt, rendered=render,
                                mime="video/mp4", engine_seconds=0.1, stats={"frames_total": 4})
    assert stored and not Path(settings.MEDIA_ROOT, stored[0]).exists()
    assert not Output.objects.exists()
    job.refresh_from_db()
    assert job.state == JobState.QUEUED


@pytest.mark.slow
def test_a_job_that_kills_every_worker_stops_after_its_last_attempt(workers, live_world, ready_model, footage,
                                                                   helpers, settings):
    """Real workers, killed with SIGKILL mid-job each time (as a plate that crashes the engine would): the job is
    taken over once, then the sweep of the next worker to start fails it, with the reason, and runs it no more."""
    from rest_framework.test import APIClient

    from likeness.provenance.models import Output

    settings.JOB_MAX_ATTEMPTS = 2
    limit = {"LIKENESS_JOB_MAX_ATTEMPTS": "2"}
    client = APIClient()
    client.force_authenticate(live_world.vfx)
    first = workers.start("w1", **limit)
    with open(footage.running_plate, "rb") as plate:
        response = client.post("/api/v1/jobs/aging/", {
            "performer": live_world.performer.pk, "production": live_world.production.pk,
            "likeness_model": str(ready_model.pk), "plate": plate, "target_age": 30}, format="multipart")
    assert response.status_code == 201, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    helpers.wait_for(lambda: (job.refresh_from_db() or (job.attempt == 1 and job.state == JobState.RUNNING)),
                     timeout=120, what="the first attempt to start", workers=workers)
    workers.kill(first)
    time.sleep(3.5)  # the claim is stale after 3 s in these tests
    second = workers.start("w2", **limit)  # its start-up sweep queues the job again, and it takes it
    helpers.wait_for(lambda: (job.refresh_from_db() or (job.attempt == 2 and job.state == JobState.RUNNING)),
                     timeout=120, what="the second attempt to start", workers=workers)
    workers.kill(second)
    time.sleep(3.5)
    workers.start("w3", **limit)  # its start-up sweep finds the last attempt silent
    helpers.wait_for(lambda: helpers.job_state(job) != JobState.RUNNING, timeout=60, what="the job to fail",
                     workers=workers)
    assert job.state == JobState.FAILED, (job.state, job.state_reason)
    assert job.attempt == 2
    assert "failed after 2 attempts" in job.state_reason and "stopped responding 2 times" in job.state_reason
    assert "w2@" in job.state_reason
    assert not Output.objects.filter(job_ref=str(job.pk)).exists()
    time.sleep(1.0)  # w3 is idle: nothing starts the job a third time
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempt == 2
    assert audit_actions(job)[-1] == "job.failed"
    call_command("audit_verify")
