"""`make demo`: the whole chain, headless, on a synthetic performer: consent -> decision -> training job ->
aging job -> output -> approval -> signed release -> verification. Every step goes through the same
services the API and the workers use; the jobs run in this process exactly as a worker runs them."""
from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File

from likeness.demo.seed import STUDIO
from likeness.jobs import services as jobs
from likeness.jobs.models import Job
from likeness.jobs.runner import run_job
from likeness.people.models import Performer, ReferenceMaterial
from likeness.people.services import reference_material_create
from likeness.productions.models import Production

REFERENCE_AGES = (25, 33, 42)


def _synthetic_clip(path: Path, age: float, seed: int, frames: int, size: int) -> Path:
    from engine import synthetic
    from engine.media import FrameWriter

    performer = synthetic.SyntheticPerformer(1)
    rendered = synthetic.render_clip(performer, age, synthetic.clip_params(seed, frames), (size, size))
    with FrameWriter(path, width=size, height=size, fps=Fraction(24)) as writer:
        for r in rendered:
            writer.write(r.image)
    return path


def run_demo_chain(say: Callable[[str], None], *, steps: int = 120) -> Job:
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=["vfx", "supervisor", "counsel", "rep"])}
    performer = Performer.objects.get(legal_name="Avery Quinn")
    production = Production.objects.get(title="Here and Then", studio__name=STUDIO)
    folder = Path(settings.VAR_DIR) / "demo"
    folder.mkdir(parents=True, exist_ok=True)

    say(f"1. Consent on file for {performer}: "
        + "; ".join(f"{g.label} {g.status}, uses {', '.join(g.uses)}, depicted ages "
                    f"{g.depicted_age_min}-{g.depicted_age_max}" for g in performer.consent_grants.all()))
    say("2. Reference footage (the synthetic performer's 'earlier films', rendered at known ages):")
    references = []
    for index, age in enumerate(REFERENCE_AGES):
        title = f"Synthetic earlier film at {age}"
        material = ReferenceMaterial.objects.filter(performer=performer, title=title).first()
        if material is None:
            clip = _synthetic_clip(folder / f"reference-{age}.mp4", age, 20 + index, 24, 256)
            with open(clip, "rb") as handle:
                material = reference_material_create(
                    performer=performer, title=title, year=performer.date_of_birth.year + age, performer_age=age,
                    rights_basis="studio_owned", by=users["supervisor"], file=File(handle, name=clip.name))
        references.append(material)
        say(f"   {material.title}: sha256 {material.sha256[:16]}...")

    training = jobs.job_submit_training(performer=performer, production=production, reference_materials=references,
                                        by=users["vfx"], size="tiny", steps=steps)
    say(f"3. Training job {training.pk}: the gate said {training.submit_decision.outcome} "
        f"({training.submit_decision.explanation})")
    if training.state != "queued":
        return training
    say(f"   worker: {run_job(str(training.pk), worker='demo@headless')}")
    training.refresh_from_db()
    model = training.trained_model
    say(f"   model {model.pk}: {model.status}, weights {model.weights_sha256[:16]}..., trained under "
        f"{model.grant.label}")

    plate = _synthetic_clip(folder / "plate.mp4", 60, 7, 24, 256)
    for target in (19, 30):
        with open(plate, "rb") as handle:
            aging = jobs.job_submit_aging(performer=performer, production=production, likeness_model=model,
                                          plate=io.BytesIO(handle.read()), plate_name="plate.mp4", target_age=target,
                                          by=users["vfx"])
        say(f"4. Aging job to {target}: the gate said {aging.submit_decision.outcome}: "
            f"{aging.submit_decision.explanation}")
        if aging.state == "queued":
            break
    say(f"   worker: {run_job(str(aging.pk), worker='demo@headless')}")
    aging.refresh_from_db()
    output = aging.output
    say(f"5. Output {output.pk}: {aging.params['result']['frames_total']} frames, sha256 {output.sha256[:16]}..., "
        f"{output.get_status_display().lower()}")

    from likeness.demo.authenticator import sign_in_second_factor
    from likeness.provenance.services import output_approve

    sign_in_second_factor(users["counsel"])
    output_approve(output=output, by=users["counsel"], note="Reviewed with the performer: approved for release.")
    say("6. Approved by the performer's counsel")
    aging = jobs.job_release(job=aging, by=users["supervisor"])
    output.refresh_from_db()
    say(f"7. Released: signed with C2PA Content Credentials, manifest {output.manifest_label}, "
        f"sha256 {output.sha256[:16]}...")

    from likeness.provenance.c2pa_context import platform_anchors
    from likeness.provenance.verification import verify_path

    report = verify_path(output.file.path, anchors_pem=platform_anchors())
    say(f"8. Verified against the platform's trust anchors: {report.state} ({report.state_explanation})")
    return aging
