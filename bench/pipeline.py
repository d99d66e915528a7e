"""The platform's own cost around the engine, and how fast the API takes job submissions.

    python bench/pipeline.py [--database-url postgres://root@127.0.0.1:5432/likeness_bench] [--seconds 10]

1. Overhead: a real worker process on the embedded broker ages a 720p clip (default 10 s at 24 fps) with the
   preview model. The job's wall time from submission to its recorded output, minus the engine's own time
   (`age_video`), is what the platform adds: queueing, claiming, the gate between every chunk, storing the
   output, its SHA-256 and fingerprint.
2. Submissions per second: training-job submissions through the REST API (the full Django/DRF stack, the
   gate, the Decision and audit rows, the enqueue), measured in-process with the test client.

The database is created afresh: a temporary SQLite file by default, or the PostgreSQL database named by
--database-url (dropped and recreated).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def prepare_environment(database_url: str | None, scratch: Path) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "likeness.settings",
        "LIKENESS_VAR_DIR": str(scratch / "var"),
        "LIKENESS_MEDIA_ROOT": str(scratch / "media"),
        "LIKENESS_ENGINE_WORK_DIR": str(scratch / "engine"),
        "LIKENESS_PKI_DIR": str(scratch / "pki"),
        "CELERY_BROKER_URL": f"embedded+sqlite:///{scratch / 'broker.sqlite3'}",
        "LIKENESS_JOB_CHUNK_FRAMES": os.environ.get("LIKENESS_JOB_CHUNK_FRAMES", "48"),
    }
    if database_url:
        env["DATABASE_URL"] = database_url
        if database_url.startswith("postgres"):
            from urllib.parse import urlparse

            import psycopg

            u = urlparse(database_url)
            name = u.path.lstrip("/")
            with psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username, dbname="postgres",
                                 autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(env)
    return env


def synthetic_clip(path: Path, seconds: float, size: tuple[int, int]) -> Path:
    from engine import synthetic
    from engine.media import FrameWriter

    performer = synthetic.SyntheticPerformer(1)
    params = synthetic.clip_params(5, int(seconds * 24))
    with FrameWriter(path, width=size[0], height=size[1], fps=Fraction(24)) as writer:
        for p in params:
            writer.write(performer.render(60, p, size).image)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length for the overhead run")
    parser.add_argument("--submissions", type=int, default=200)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="likeness-pipeline-"))
    env = prepare_environment(args.database_url, scratch)

    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    from likeness.consent import services as consent
    from likeness.jobs.models import Job, LikenessModel, ModelStatus
    from likeness.jobs.storage import store_local_file
    from likeness.jobs.submission import job_submit_aging
    from likeness.people.services import reference_material_create
    from likeness.policy.requests import gate_request_build
    from likeness.policy.services import decision_make
    from tests.conftest import build_world, grant_scope
    from tests.factories import pdf_file

    call_command("migrate", verbosity=0)
    call_command("pki_init", "--if-missing", verbosity=0)
    print(f"database: {connection.vendor}; {os.cpu_count()} CPU(s)")
    w = build_world()
    grant = consent.grant_draft_create(performer=w.performer, productions=[w.production], by=w.rep,
                                       **grant_scope(uses=["training", "de_aging", "aging_up"]))
    consent.grant_submit(grant=grant, document=pdf_file(), by=w.rep)
    grant = consent.grant_approve(grant=grant, by=w.counsel)

    # A preview-size model of the performer (weights need not be good to time the pipeline).
    from engine import synthetic
    from engine.api import train_model

    refs = synthetic.reference_set(1, 24, size=(256, 256), age_range=(25, 66))
    trained = train_model([(r.image, r.age) for r in refs], performer_id=str(w.performer.public_id),
                          out_path=scratch / "preview.safetensors", config="preview", steps=5, batch_size=8)
    decision = decision_make(request=gate_request_build(performer=w.performer, production=w.production,
                                                        use="training", replica_types=["icdr"]),
                             performer=w.performer, production=w.production, purpose="submit", by=w.vfx)
    model = LikenessModel(performer=w.performer, size="preview", grant=grant, decision=decision,
                          status=ModelStatus.READY, engine_version=trained.meta.engine_version,
                          age_range=list(trained.meta.age_range))
    model.weights_sha256 = store_local_file(model.checkpoint, trained.checkpoint, "preview.safetensors")
    model.save()

    print(f"\n1. platform overhead: aging a {args.seconds:g} s 720p clip through a real worker")
    plate = synthetic_clip(scratch / "plate-720p.mp4", args.seconds, (1280, 720))
    worker_log = scratch / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "likeness", "worker", "-Q", "gpu,default",
                               "--pool=solo", "--concurrency=1", "--without-gossip", "--without-mingle",
                               "--without-heartbeat", "--loglevel=INFO"], cwd=ROOT, env={**os.environ, **env},
                              stdout=open(worker_log, "wb"), stderr=subprocess.STDOUT)
    try:
        while "ready." not in worker_log.read_text(errors="replace"):
            if worker.poll() is not None:
                raise SystemExit(worker_log.read_text())
            time.sleep(0.2)
        with open(plate, "rb") as handle:
            job = job_submit_aging(performer=w.performer, production=w.production, likeness_model=model,
                                   plate=handle, plate_name="plate.mp4", target_age=30, by=w.vfx)
        submitted = time.monotonic()
        while True:
            job.refresh_from_db()
            if job.state not in ("queued", "running"):
                break
            time.sleep(0.1)
        wall = time.monotonic() - submitted
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    if job.state != "awaiting_approval":
        raise SystemExit(f"job ended {job.state}: {job.state_reason}\n{worker_log.read_text()[-3000:]}")
    engine = job.engine_seconds
    frames = job.params["result"]["frames_total"]
    overhead = wall - engine
    chunk = os.environ["LIKENESS_JOB_CHUNK_FRAMES"]
    print(f"   frames {frames} ({job.params['result']['frames_with_face']} with a face), chunks of {chunk} "
          "(a gate check before each: "
          f"{job.decisions.filter(purpose='chunk').count()} decisions)")
    print(f"   wall time submit -> output recorded  {wall:8.2f} s")
    print(f"   engine's own time (age_video)        {engine:8.2f} s  ({frames / engine:.1f} fps)")
    print(f"   platform overhead                    {overhead:8.2f} s  = {100 * overhead / engine:.1f} % of engine "
          f"time (target <= 5 %)")
    lines = list(job.log_lines.order_by("id"))
    engine_start = next(line.at for line in lines if line.message.startswith("aging frames"))
    print("   where the overhead goes:")
    print(f"     queue (submit -> claimed)          {(job.started_at - job.queued_at).total_seconds():8.2f} s")
    print(f"     claim + gate before the engine     {(engine_start - job.started_at).total_seconds():8.2f} s")
    in_engine = (job.finished_at - engine_start).total_seconds()
    print(f"     engine call + gate per chunk + recording the output {in_engine - engine:8.2f} s")
    print(f"     result noticed by the submitter    {wall - (job.finished_at - job.queued_at).total_seconds():8.2f} s")

    print(f"\n2. job submissions per second through the API ({args.submissions} training jobs, {connection.vendor})")
    with open(refs and plate, "rb") as handle:
        material = reference_material_create(performer=w.performer, title="Earlier film", year=1990,
                                             performer_age=29, rights_basis="studio_owned", by=w.supervisor,
                                             file=File(handle, name="ref.mp4"))
    client = APIClient()
    client.force_authenticate(w.vfx)
    body = {"performer": w.performer.pk, "production": w.production.pk, "reference_materials": [material.pk],
            "size": "tiny", "steps": 10}
    latencies = []
    start = time.perf_counter()
    for _ in range(args.submissions):
        t = time.perf_counter()
        response = client.post("/api/v1/jobs/training/", body, format="json")
        latencies.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 201, response.content
    elapsed = time.perf_counter() - start
    print(f"   {args.submissions / elapsed:.1f} submissions/s, latency p50 {statistics.median(latencies):.1f} ms, "
          f"p99 {sorted(latencies)[int(0.99 * (len(latencies) - 1))]:.1f} ms")
    print(f"   queued jobs: {Job.objects.filter(state='queued').count()}")


if __name__ == "__main__":
    main()
