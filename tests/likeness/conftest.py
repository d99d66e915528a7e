"""Fixtures for the platform tests that need committed data or engine work: a committed world (the worker is
another process), synthetic footage, a trained tiny model, and real Celery workers on a real broker (the embedded
SQLite broker by default; Redis when LIKENESS_TEST_BROKER=redis). Defined here once, for every app's tests, so
each session-scoped one is built once per run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import kombu.pools
import pytest
from django.conf import settings
from django.core.files import File
from django.db import connection

from likeness.consent import services as consent
from likeness.jobs.models import Job, LikenessModel, ModelStatus
from likeness.people.services import reference_material_create
from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make
from tests.conftest import build_world, grant_scope
from tests.factories import pdf_file

REPO = Path(settings.BASE_DIR)
SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused on audit_auditevent'); END;",
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused on audit_auditevent'); END;",
]


_lifted = {"triggers": False}  # set when a live test's flush left the audit table without its SQLite triggers


@pytest.fixture(autouse=True)
def _append_only_restored(request: pytest.FixtureRequest) -> None:
    """The first test after a live one puts the append-only triggers back (the flush that ended the live test
    needed them lifted), so every test, in whatever order a process runs them, finds the audit table guarded."""
    if _lifted["triggers"]:
        with request.getfixturevalue("django_db_blocker").unblock(), connection.cursor() as cur:
            for statement in SQLITE_TRIGGERS:
                cur.execute(statement)
            # Inside a module's shared records (an open transaction) the rollback at its end undoes this too.
            _lifted["triggers"] = connection.in_atomic_block


@pytest.fixture
def live_db(transactional_db) -> Iterator[None]:
    """Committed data that a worker process can see. Between tests the database is flushed, which the
    append-only trigger would refuse on SQLite: it is lifted for the flush and restored by the next test
    (`_append_only_restored`, which runs before this fixture too)."""
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cur.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        _lifted["triggers"] = True


def write_clip(path: Path, frames: list[Any], fps: int = 24) -> Path:
    from engine.media import FrameWriter

    h, w = frames[0].shape[:2]
    with FrameWriter(path, width=w, height=h, fps=Fraction(fps)) as writer:
        for frame in frames:
            writer.write(frame)
    return path


@pytest.fixture(scope="session")
def footage(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Synthetic performer 1: reference clips at four ages, and plates of them filmed 'today' (age 60)."""
    from engine import synthetic

    folder = tmp_path_factory.mktemp("footage")
    perf = synthetic.SyntheticPerformer(1)
    refs = []
    for index, age in enumerate((25, 38, 52, 66)):
        frames = [r.image for r in synthetic.render_clip(perf, age, synthetic.clip_params(10 + index, 14), (192, 192))]
        refs.append((write_clip(folder / f"ref-{age}.mp4", frames), age))
    plate = [r.image for r in synthetic.render_clip(perf, 60, synthetic.clip_params(3, 12), (192, 192))]
    long_plate = [r.image for r in synthetic.render_clip(perf, 60, synthetic.clip_params(4, 120), (192, 192))]
    # A plate long enough that a job on it is still running when a test revokes consent or kills the worker
    # (120 frames finished before the test could act on a fast machine): the long plate, 16 times over.
    running_plate = long_plate * 16
    return SimpleNamespace(refs=refs, plate=write_clip(folder / "plate.mp4", plate),
                           long_plate=write_clip(folder / "long-plate.mp4", long_plate),
                           running_plate=write_clip(folder / "running-plate.mp4", running_plate),
                           not_a_video=_junk(folder / "notes.mp4"))


def _junk(path: Path) -> Path:
    path.write_bytes(b"this is a text file pretending to be a video\n" * 20)
    return path


@pytest.fixture
def live_world(live_db, footage, settings, tmp_path) -> SimpleNamespace:
    """The shared world, committed, with an active grant that allows training and aging ('Here and Then',
    depicted ages 25-45), and reference footage of the performer (the synthetic performer's earlier films)."""
    settings.ENGINE_WORK_DIR = tmp_path / "engine"
    settings.PKI_DIR = tmp_path / "pki"
    w = build_world()
    w.grant = consent.grant_draft_create(
        performer=w.performer, productions=[w.production], by=w.rep,
        **grant_scope(uses=["training", "de_aging", "aging_up"], depicted_age_min=25, depicted_age_max=45,
                      media=["theatrical", "streaming"], destroy_models_on_revocation=False))
    consent.grant_submit(grant=w.grant, document=pdf_file(), by=w.rep)
    w.grant = consent.grant_approve(grant=w.grant, by=w.counsel)
    w.references = []
    for path, age in footage.refs:
        with open(path, "rb") as handle:
            w.references.append(reference_material_create(
                performer=w.performer, title=f"Earlier film at {age}", year=1961 + age, performer_age=age,
                rights_basis="studio_owned", by=w.supervisor, file=File(handle, name=path.name)))
    return w


def _test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "root"
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def broker(tmp_path) -> dict[str, str]:
    """A fresh broker for this test, used both by the test (to publish) and by its workers."""
    from likeness.celery import app

    if os.environ.get("LIKENESS_TEST_BROKER") == "redis":
        # One Redis database per test process (pytest-xdist's gw0, gw1, ... take 15, 14, ...): a test flushes its
        # database at the start, which must not empty the queues of a test running in the other process.
        process = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
        url = os.environ.get("LIKENESS_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - process}")
        import redis

        redis.Redis.from_url(url).flushdb()
        env = {"CELERY_BROKER_URL": url}
        options: dict[str, Any] = {"visibility_timeout": 3600}
    else:
        url = f"embedded+sqlite:///{tmp_path / 'broker.sqlite3'}"
        env = {"CELERY_BROKER_URL": url, "LIKENESS_BROKER_POLL_SECONDS": "0.1"}
        options = {"polling_interval": 0.1}
    app.conf.broker_url = url
    app.conf.broker_transport_options = options
    # Publish through this test's broker, not a pooled connection to the previous test's.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    return env


class Workers:
    """Starts real `celery worker` processes against the test database and broker; stops them at the end."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs, self.procs = env, logs, []

    def start(self, name: str, queues: str = "gpu,default", *extra_args: str, **extra_env: str) -> subprocess.Popen:
        log = self.logs / f"{name}.log"
        env = {**os.environ, **self.env, **extra_env}
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "likeness", "worker", "-Q", queues, "--pool=solo",
             "--concurrency=1", "-n", f"{name}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat", *extra_args],
            cwd=REPO, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if "ready." in log.read_text(errors="replace"):
                return proc
            if proc.poll() is not None:
                raise RuntimeError(f"worker {name} exited:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"worker {name} did not start:\n{log.read_text(errors='replace')[-3000:]}")

    def kill(self, proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)

    def log_of(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _workers(broker: dict[str, str], settings: Any, tmp_path: Path) -> Workers:
    env = {
        **broker,
        "DJANGO_SETTINGS_MODULE": "likeness.settings",
        "DATABASE_URL": _test_database_url(),
        "LIKENESS_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "LIKENESS_ENGINE_WORK_DIR": str(settings.ENGINE_WORK_DIR),
        "LIKENESS_PREVIEW_DIR": str(settings.PREVIEW_DIR),
        "LIKENESS_PKI_DIR": str(settings.PKI_DIR),
        "LIKENESS_AUDIT_CHECKPOINT_DIR": str(settings.AUDIT_CHECKPOINT_DIR),
        "LIKENESS_JOB_HEARTBEAT_SECONDS": "0.5",
        "LIKENESS_JOB_STALE_SECONDS": "3",
        "LIKENESS_JOB_CHUNK_FRAMES": "4",
        "PYTHONUNBUFFERED": "1",
    }
    (tmp_path / "logs").mkdir(exist_ok=True)
    return Workers(env, tmp_path / "logs")


@pytest.fixture
def workers(live_world, broker, settings, tmp_path) -> Iterator[Workers]:
    pool = _workers(broker, settings, tmp_path)
    yield pool
    pool.stop_all()


@pytest.fixture
def bare_workers(live_db, broker, settings, tmp_path) -> Iterator[Workers]:
    """Workers on whatever committed data the test makes itself (no world, grant or footage made for it)."""
    settings.ENGINE_WORK_DIR = tmp_path / "engine"
    settings.PKI_DIR = tmp_path / "pki"
    pool = _workers(broker, settings, tmp_path)
    yield pool
    pool.stop_all()


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str, workers: Workers | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    logs = "\n".join(w.log_of(n)[-2500:] for w in ([workers] if workers else [])
                     for n in ("w1", "w2")) if workers else ""
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def job_state(job: Job) -> str:
    job.refresh_from_db()
    return job.state


@pytest.fixture
def helpers() -> SimpleNamespace:
    """Module helpers as a fixture (test modules cannot import this conftest in importlib mode)."""
    return SimpleNamespace(wait_for=wait_for, job_state=job_state, write_clip=write_clip)


@pytest.fixture(scope="session")
def tiny_checkpoint(footage, tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """A tiny model of synthetic performer 1, trained once in this process, for tests that need a ready model
    without waiting for a training job. The performer id inside it is set per test (see ready_model)."""
    from engine import synthetic
    from engine.api import train_model

    refs = synthetic.reference_set(1, 48, size=(192, 192), age_range=(25, 66))
    out = train_model([(r.image, r.age) for r in refs], performer_id="placeholder",
                      out_path=tmp_path_factory.mktemp("ckpt") / "tiny.safetensors", config="tiny", steps=40,
                      batch_size=16, seed=0)
    return out.checkpoint, {"manifest": out.meta.dataset_manifest_sha256, "steps": out.meta.steps,
                            "age_range": list(out.meta.age_range), "refs": refs}


def retag_checkpoint(source: Path, target: Path, performer_id: str) -> Path:
    """The session's trained checkpoint, with another performer's id in its metadata: what training the same
    frames under that id writes (the id names whose model it is; it does not enter the weights), in a fraction
    of the time."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(source), framework="pt") as handle:
        metadata = dict(handle.metadata() or {})
    save_file(load_file(str(source)), str(target), metadata={**metadata, "performer_id": performer_id})
    return target


@pytest.fixture
def ready_model(live_world, tiny_checkpoint, tmp_path):
    """A ready LikenessModel of the world's performer, trained under the world's grant (via a real training
    decision), its checkpoint re-tagged with the performer's pseudonymous id as a training job would."""
    from engine.model.checkpoint import read_meta
    from likeness.jobs.models import LikenessModel, ModelStatus
    from likeness.jobs.storage import store_local_file
    from likeness.policy.requests import gate_request_build
    from likeness.policy.services import decision_make

    trained, _ = tiny_checkpoint
    path = retag_checkpoint(trained, tmp_path / "model.safetensors", str(live_world.performer.public_id))
    ckpt = SimpleNamespace(checkpoint=path, meta=read_meta(path))
    decision = decision_make(
        request=gate_request_build(performer=live_world.performer, production=live_world.production, use="training",
                                   replica_types=["icdr"]),
        performer=live_world.performer, production=live_world.production, purpose="submit", by=live_world.vfx)
    assert decision.allowed, decision.explanation
    model = LikenessModel(performer=live_world.performer, size="tiny", grant=live_world.grant, decision=decision,
                          status=ModelStatus.READY, dataset_manifest_sha256=ckpt.meta.dataset_manifest_sha256,
                          training_steps=ckpt.meta.steps, age_range=list(ckpt.meta.age_range),
                          target_ages=[ckpt.meta.config.age_min, ckpt.meta.config.age_max],
                          engine_version=ckpt.meta.engine_version)
    model.weights_sha256 = store_local_file(model.checkpoint, ckpt.checkpoint, "model.safetensors")
    model.save()
    model.reference_materials.set(live_world.references)
    return model


@pytest.fixture
def studio(world, make_grant, footage) -> SimpleNamespace:
    """The shared world with an active grant for training and aging (depicted ages 25-45), reference footage,
    and a ready model record (no weights needed: these tests never run the engine)."""
    w = world
    w.grant = make_grant(uses=["training", "de_aging", "aging_up"])
    w.references = []
    for path, age in footage.refs[:2]:
        with open(path, "rb") as handle:
            w.references.append(reference_material_create(
                performer=w.performer, title=f"Earlier film at {age}", year=1961 + age, performer_age=age,
                rights_basis="studio_owned", by=w.supervisor, file=File(handle, name=Path(path).name)))
    decision = decision_make(
        request=gate_request_build(performer=w.performer, production=w.production, use="training",
                                   replica_types=["icdr"]),
        performer=w.performer, production=w.production, purpose="submit", by=w.vfx)
    assert decision.allowed, decision.explanation
    w.model = LikenessModel.objects.create(performer=w.performer, size="tiny", grant=w.grant, decision=decision,
                                           status=ModelStatus.READY, age_range=[25, 66], weights_sha256="0" * 64)
    return w


@pytest.fixture
def real_model(live_world, ready_model, tmp_path):
    """The ready model, recorded as trained on reference footage of a real person: a push-in clip of their
    photograph (the weights stay the session's synthetic ones; the check reads the footage, not the weights)."""
    from django.core.files import File

    from likeness.people.services import reference_material_create
    from tests.real_faces import PERFORMER, push_in_plate

    w = live_world
    footage = []
    for index, name in enumerate(PERFORMER):
        clip = push_in_plate(name, tmp_path / f"reference-{name}.mp4")
        with open(clip, "rb") as handle:
            footage.append(reference_material_create(
                performer=w.performer, title=f"Earlier film {index + 1}", year=2010 + index, performer_age=49,
                rights_basis="studio_owned", by=w.supervisor, file=File(handle, name=clip.name)))
    ready_model.reference_materials.set(footage)
    return ready_model
