"""`make demo`: the whole chain, headless, on a synthetic performer: consent -> decision -> training job ->
aging job -> output -> approval -> signed release -> verification. Every step goes through the same
services the API and the workers use; the jobs run in this process exactly as a worker runs them.

It runs any number of times, on a database the app has been used on too: it first makes whatever part of the
demo data is missing (seed_demo), reuses a ready model trained on the demo footage under a consent still in
force (or trains one), and each run ends with a new output, released and verified. What stops it is a
`DemoError` with one line.
"""
from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from likeness.consent.models import GrantStatus
from likeness.consent.selectors import grant_effective_status
from likeness.demo.seed import (
    PRODUCTION,
    DemoError,
    act_as,
    demo_footage,
    demo_performer,
    demo_production,
    demo_users,
    render_synthetic_clip,
    seed_demo,
)
from likeness.jobs.models import TERMINAL_STATES, Job, JobState, LikenessModel, ModelStatus
from likeness.jobs.release import job_release
from likeness.jobs.runner import run_job
from likeness.jobs.submission import job_submit_aging, job_submit_training
from likeness.policy.models import Decision

PLATE_AGE, PLATE_SEED = 60, 7
# A worker beside the demo (`make run` in another terminal) may take a job first; the demo then waits for it.
WORKER_WAIT_SECONDS = 30 * 60


def _submit_decision(job: Job) -> Decision:
    if job.submit_decision is None:  # the submission services always record one
        raise DemoError(f"job {job.pk} was recorded without the gate's decision")
    return job.submit_decision


def _messages(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc) or "not permitted"


def _run(job: Job, say: Callable[[str], None]) -> Job:
    """Run a queued job here, as a worker would; if a worker took it first, wait until it has finished."""
    result = run_job(str(job.pk), worker="demo@headless")
    say(f"   worker: {result}")
    job.refresh_from_db()
    if result.startswith("skipped"):
        say("   a running worker took the job; waiting for it to finish")
        deadline = time.monotonic() + WORKER_WAIT_SECONDS
        while job.state not in TERMINAL_STATES and job.state != JobState.AWAITING_APPROVAL:
            if time.monotonic() > deadline:
                raise DemoError(f"job {job.pk} is still {job.state} after {WORKER_WAIT_SECONDS // 60} minutes on "
                                "another worker; look at its page, or at var/worker.log")
            time.sleep(1.0)
            job.refresh_from_db()
    return job


def _reusable_model(performer_id: int, references: list, production_id: int) -> LikenessModel | None:
    """A ready model of the demo performer trained on exactly the demo footage, under a consent still in force."""
    wanted = sorted(m.pk for m in references)
    candidates = (LikenessModel.objects.filter(performer_id=performer_id, status=ModelStatus.READY,
                                               grant__productions=production_id)
                  .select_related("grant").order_by("-created_at").distinct())
    for model in candidates[:20]:
        if (grant_effective_status(model.grant) == GrantStatus.ACTIVE
                and sorted(model.reference_materials.values_list("pk", flat=True)) == wanted
                and model.checkpoint):
            return model
    return None


def run_demo_chain(say: Callable[[str], None], *, steps: int = 120, retrain: bool = False) -> Job:
    """Run the chain once and return the released aging job. `retrain`: train a new model even when a ready one
    trained on the demo footage under a consent in force exists."""
    try:
        return _chain(say, steps=steps, retrain=retrain)
    except (ValidationError, PermissionDenied) as exc:
        raise DemoError(f"the demo stopped: {_messages(exc)}") from exc


def _chain(say: Callable[[str], None], *, steps: int, retrain: bool) -> Job:
    made: list[str] = []
    if seed_demo(made.append):
        say("0. Demo data completed first:")
        for line in made:
            say(line)
    users = demo_users()
    performer, production = demo_performer(), demo_production(PRODUCTION)
    if performer is None or production is None:
        raise DemoError("the demo performer or production is missing after seeding: run `make demo-data`")
    folder = Path(settings.VAR_DIR) / "demo"
    folder.mkdir(parents=True, exist_ok=True)

    say(f"1. Consent on file for {performer}: "
        + "; ".join(f"{g.label} {grant_effective_status(g)}, uses {', '.join(g.uses)}, depicted ages "
                    f"{g.depicted_age_min}-{g.depicted_age_max}"
                    for g in performer.consent_grants.order_by("-pk")[:5]))
    say("2. Reference footage (the synthetic performer's 'earlier films', rendered at known ages):")
    references = demo_footage()
    for material in references:
        say(f"   {material.title} ({material.year}, age {material.performer_age}): sha256 {material.sha256[:16]}...")

    model = None if retrain else _reusable_model(performer.pk, references, production.pk)
    if model is not None:
        say(f"3. Model {model.pk} is ready, trained on this footage under {model.grant.label}, which is still in "
            "force: reused (`manage.py demo_chain --retrain` trains a new one)")
    else:
        training = job_submit_training(performer=performer, production=production,
                                       reference_materials=references, by=users["vfx"], size="tiny",
                                       steps=steps)
        said = _submit_decision(training)
        say(f"3. Training job {training.pk}: the gate said {said.outcome} ({said.explanation})")
        if training.state != JobState.QUEUED:
            raise DemoError(f"the gate refused the demo's training job: {said.explanation}")
        training = _run(training, say)
        model = training.trained_model
        if training.state != JobState.COMPLETED or model is None:
            raise DemoError(f"the training job ended {training.state}: {training.state_reason or 'no model'}")
        say(f"   model {model.pk}: {model.status}, weights {model.weights_sha256[:16]}..., trained under "
            f"{model.grant.label}")

    plate = folder / "plate.mp4"
    if not plate.exists():
        render_synthetic_clip(plate, age=PLATE_AGE, seed=PLATE_SEED)
    aging = None
    for target in (19, 30):
        with open(plate, "rb") as handle:
            aging = job_submit_aging(performer=performer, production=production, likeness_model=model,
                                     plate=io.BytesIO(handle.read()), plate_name="plate.mp4", target_age=target,
                                     by=users["vfx"])
        said = _submit_decision(aging)
        say(f"4. Aging job to {target}: the gate said {said.outcome}: {said.explanation}")
        if aging.state == JobState.QUEUED:
            break
    if aging is None or aging.state != JobState.QUEUED:
        raise DemoError(f"the gate refused the demo's aging job: {_submit_decision(aging).explanation if aging else ''}")
    aging = _run(aging, say)
    output = aging.output
    if output is None:
        raise DemoError(f"the aging job ended {aging.state}: {aging.state_reason or 'no output'}")
    say(f"5. Output {output.pk}: {aging.params['result']['frames_total']} frames, sha256 {output.sha256[:16]}..., "
        f"{output.get_status_display().lower()}")

    from likeness.provenance.services import output_approve

    act_as(users["counsel"])
    output_approve(output=output, by=users["counsel"], note="Reviewed with the performer: approved for release.")
    say("6. Approved by the performer's counsel")
    aging = job_release(job=aging, by=users["supervisor"])
    output.refresh_from_db()
    say(f"7. Released: signed with C2PA Content Credentials, manifest {output.manifest_label}, "
        f"sha256 {output.sha256[:16]}...")

    from likeness.provenance.c2pa_context import platform_anchors
    from likeness.provenance.verification import verify_path

    report = verify_path(output.file.path, anchors_pem=platform_anchors())
    say(f"8. Verified against the platform's trust anchors: {report.state} ({report.state_explanation})")
    if report.state != "Trusted":
        raise DemoError(f"the released output verifies {report.state}, not Trusted: {report.state_explanation}")
    return aging
