"""Model pages and the live preview, through Django's test client: who sees which model and figure, who may
start a preview, what a denied preview says; and the preview itself run for real by the worker-side code."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.test import Client

from likeness.jobs.models import LikenessModel, PreviewSession, PreviewSource, PreviewState
from tests.factories import pdf_file

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def preview_grant(world: SimpleNamespace) -> Any:
    """A second active grant for the world's performer that covers the live on-set preview (ages 25-45)."""
    from likeness.consent import services as consent
    from tests.conftest import grant_scope

    grant = consent.grant_draft_create(
        performer=world.performer, productions=[world.production], by=world.rep,
        **grant_scope(uses=["realtime_preview"], media=["on_set_monitor"], depicted_age_min=25, depicted_age_max=45))
    consent.grant_submit(grant=grant, document=pdf_file(), by=world.rep)
    return consent.grant_approve(grant=grant, by=world.counsel)


def store_figures(model: LikenessModel) -> None:
    """What a training job stores: PNGs drawn by the engine's figure code."""
    import cv2

    from engine.figures import age_sweep_image, loss_curves_image

    curves = loss_curves_image({"rec": [1.0, 0.5, 0.25, 0.2], "critic": [0.7, 0.6, 0.65, 0.6]})
    sweep = age_sweep_image([[np.full((48, 48, 3), 128, np.uint8)] * 3], ["input", "30", "60"])
    model.loss_curves.save("curves.png", ContentFile(cv2.imencode(".png", curves)[1].tobytes()), save=False)
    model.age_sweep.save("sweep.png", ContentFile(cv2.imencode(".png", sweep)[1].tobytes()), save=False)
    model.loss_history = {"rec": [1.0, 0.5, 0.25, 0.2], "critic": [0.7, 0.6, 0.65, 0.6]}
    model.save()


def preview_form(world: SimpleNamespace, model: LikenessModel, **overrides: Any) -> dict[str, Any]:
    data = {"performer": world.performer.pk, "production": world.production.pk, "likeness_model": model.pk,
            "source_kind": PreviewSource.REFERENCE, "reference_material": world.references[0].pk, "target_age": 30}
    data.update(overrides)
    return data


@pytest.fixture
def no_broker(monkeypatch) -> list[str]:
    """Allowed previews are queued for a GPU worker after commit; these tests record the ids instead."""
    from likeness.jobs import previews

    queued: list[str] = []
    monkeypatch.setattr(previews, "enqueue_preview", lambda session: queued.append(str(session.pk)))
    return queued


def test_vfx_staff_see_models_with_their_lineage_and_figures(live_world, ready_model):
    store_figures(ready_model)
    client = signed_in(live_world.vfx)
    listing = client.get("/models/")
    assert listing.status_code == 200
    assert f"/models/{ready_model.pk}/" in listing.content.decode()
    page = client.get(f"/models/{ready_model.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    for expected in (ready_model.weights_sha256, ready_model.dataset_manifest_sha256, live_world.grant.label,
                     f"/decisions/{ready_model.decision_id}/", ready_model.engine_version, "Ready",
                     *(r.title for r in live_world.references), *(r.sha256 for r in live_world.references)):
        assert expected in html, expected
    for figure in ("loss_curves", "age_sweep"):
        assert f'src="/models/{ready_model.pk}/figures/{figure}.png"' in html
        image = client.get(f"/models/{ready_model.pk}/figures/{figure}.png")
        assert image.status_code == 200 and image["Content-Type"] == "image/png"
        assert b"".join(image.streaming_content).startswith(PNG_MAGIC)


def test_another_studio_sees_neither_the_model_nor_its_figures(live_world, ready_model):
    store_figures(ready_model)
    other = signed_in(live_world.other_vfx)
    assert str(ready_model.pk) not in other.get("/models/").content.decode()
    assert other.get(f"/models/{ready_model.pk}/").status_code == 404
    assert other.get(f"/models/{ready_model.pk}/figures/loss_curves.png").status_code == 404
    assert signed_in(live_world.vfx).get(f"/models/{ready_model.pk}/figures/other.png").status_code == 404
    anonymous = Client().get(f"/models/{ready_model.pk}/figures/loss_curves.png")
    assert anonymous.status_code == 302 and anonymous.url.startswith("/login/")
    # Reps and counsel see the models of the performers they represent, and only those.
    assert signed_in(live_world.rep).get(f"/models/{ready_model.pk}/").status_code == 200
    other_rep = signed_in(live_world.other_rep)
    assert str(ready_model.pk) not in other_rep.get("/models/").content.decode()
    assert other_rep.get(f"/models/{ready_model.pk}/figures/age_sweep.png").status_code == 404


def test_a_model_without_figures_says_so(live_world, ready_model):
    client = signed_in(live_world.vfx)
    assert "Not drawn for this model" in client.get(f"/models/{ready_model.pk}/").content.decode()
    assert client.get(f"/models/{ready_model.pk}/figures/age_sweep.png").status_code == 404


def test_a_models_page_says_what_its_references_show_besides_age(live_world, ready_model):
    client = signed_in(live_world.vfx)
    assert "What the references show besides age" not in client.get(f"/models/{ready_model.pk}/").content.decode()
    warning = "age is confounded with source: each age comes from one source only (35-40: film_1999.mov; 65-70: a.mov)"
    ready_model.reference_balance = {"bins": [{"ages": "35-40"}, {"ages": "65-70"}], "warnings": [warning]}
    ready_model.save()
    page = client.get(f"/models/{ready_model.pk}/").content.decode()
    assert "What the references show besides age" in page and "film_1999.mov" in page
    ready_model.reference_balance = {"bins": [{"ages": "35-40"}, {"ages": "65-70"}], "warnings": [], "weighted": True}
    ready_model.save()
    assert "evened out between the reference ages" in client.get(f"/models/{ready_model.pk}/").content.decode()
    ready_model.reference_balance["weighted"] = False
    ready_model.save()
    assert "already matched across the ages" in client.get(f"/models/{ready_model.pk}/").content.decode()


def test_auditors_read_models_and_previews_but_cannot_start_one(live_world, ready_model, no_broker):
    auditor = signed_in(live_world.auditor)
    assert auditor.get(f"/models/{ready_model.pk}/").status_code == 200
    page = auditor.get("/preview/")
    assert page.status_code == 200 and "Start a preview" not in page.content.decode()
    refused = auditor.post("/preview/", preview_form(live_world, ready_model))
    assert refused.status_code == 403
    assert "Only VFX artists and supervisors may start a live preview" in refused.content.decode()
    assert not PreviewSession.objects.exists()


@pytest.mark.parametrize("who", ["rep", "studio_legal"])
def test_people_outside_vfx_cannot_start_a_preview(live_world, ready_model, no_broker, who):
    response = signed_in(getattr(live_world, who)).post("/preview/", preview_form(live_world, ready_model))
    assert response.status_code == 403
    assert not PreviewSession.objects.exists() and not no_broker


def test_a_denied_preview_shows_the_gates_explanation(live_world, ready_model, no_broker):
    """The world's grant covers training, de-aging and aging up, not the real-time preview."""
    client = signed_in(live_world.vfx)
    response = client.post("/preview/", preview_form(live_world, ready_model))
    session = PreviewSession.objects.get()
    assert response.status_code == 302 and response.url == f"/preview/{session.pk}/"
    assert session.state == PreviewState.DENIED and not no_broker
    assert session.decision.use == "realtime_preview" and not session.decision.allowed
    assert session.decision.request["media"] == ["on_set_monitor"]
    page = client.get(response.url).content.decode()
    assert "Why it was refused" in page and "Denied by the gate" in page
    assert session.decision.explanation.split("\n")[0] in page.replace("&#x27;", "'").replace("&quot;", '"')
    assert "data-frame-url" not in page  # no monitors for a refused preview
    # Its status fragment is final (htmx stops polling).
    fragment = client.get(f"/preview/{session.pk}/status/").content.decode()
    assert 'data-live="0"' in fragment and "hx-trigger" not in fragment
    assert signed_in(live_world.other_vfx).get(response.url).status_code == 404


def test_the_form_explains_bad_input(live_world, ready_model, no_broker):
    client = signed_in(live_world.vfx)
    response = client.post("/preview/", preview_form(live_world, ready_model, source_kind="camera", target_age=200))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "give the worker" not in html  # the age is refused first
    response = client.post("/preview/", preview_form(live_world, ready_model, source_kind="camera"))
    assert response.status_code == 400 and "give the worker&#x27;s camera number" in response.content.decode()
    assert not PreviewSession.objects.exists()


def test_an_allowed_preview_runs_on_the_worker_code_side_by_side_with_latencies(live_world, ready_model,
                                                                               no_broker, settings):
    """The task's function, run in this process on a short synthetic reference clip (192 x 192, 14 frames)."""
    import cv2

    from likeness.jobs.preview_runner import run_preview
    from likeness.jobs.storage import preview_frame_path

    preview_grant(live_world)
    client = signed_in(live_world.vfx)
    response = client.post("/preview/", preview_form(live_world, ready_model))  # loop unchecked: plays once
    session = PreviewSession.objects.get()
    assert session.state == PreviewState.QUEUED, session.state_reason
    assert no_broker == [str(session.pk)]
    page = client.get(response.url).content.decode()
    # While a worker is awaited the status is asked for every two seconds (every second once frames flow).
    assert 'data-live="1"' in page and 'hx-trigger="every 2s"' in page
    assert client.get(f"/preview/{session.pk}/frame.jpg").status_code == 404  # nothing yet

    result = run_preview(str(session.pk), worker="test-worker")
    session.refresh_from_db()
    assert session.state == PreviewState.FINISHED, (result, session.state_reason)
    assert session.frames == 14 and session.frames_with_face >= 10
    for stage in ("capture", "detect_track", "align", "model", "composite", "publish", "total"):
        assert session.latency_ms[stage]["mean"] >= 0, stage
    assert session.latency_ms["total"]["mean"] > 0 and session.fps and session.fps > 0
    assert {d.purpose for d in session.decisions.all()} >= {"submit", "claim"}

    frame = cv2.imdecode(np.frombuffer(preview_frame_path(str(session.pk)).read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert frame.shape == (192, 384, 3)  # as filmed | aged, side by side
    left, right = frame[:, :192].astype(int), frame[:, 192:].astype(int)
    assert np.abs(left - right).mean() > 1.0  # the aged half differs (the face was replaced)
    served = client.get(f"/preview/{session.pk}/frame.jpg")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    # The page sends the frame's tag back: the same frame again is a bodiless 304, on which its poll backs off.
    again = client.get(f"/preview/{session.pk}/frame.jpg", headers={"If-None-Match": served["ETag"]})
    assert served["ETag"] and again.status_code == 304 and not again.content
    assert client.get(f"/preview/{session.pk}/frame.jpg", headers={"If-None-Match": '"other"'}).status_code == 200
    assert signed_in(live_world.other_vfx).get(f"/preview/{session.pk}/frame.jpg").status_code == 404
    status = client.get(f"/preview/{session.pk}/status/").content.decode()
    assert "Source ended" in status and "detect_track" in status and "total" in status
    # A second delivery of the task finds nothing to claim.
    assert run_preview(str(session.pk), worker="test-worker") == "skipped: not queued"


def test_revoking_the_preview_consent_stops_a_running_preview(live_world, ready_model, no_broker, settings):
    from likeness.consent import services as consent
    from likeness.jobs.preview_runner import run_preview
    from likeness.jobs.previews import preview_session_start

    grant = preview_grant(live_world)
    settings.PREVIEW_REGATE_SECONDS = 0.0  # ask the gate on every frame
    session = preview_session_start(
        performer=live_world.performer, production=live_world.production, likeness_model=ready_model,
        source_kind=PreviewSource.REFERENCE, reference_material=live_world.references[0], target_age=30,
        by=live_world.vfx, loop=True)
    consent.grant_revoke(grant=grant, by=live_world.rep, reason="the performer withdrew consent for live use")
    result = run_preview(str(session.pk), worker="test-worker")
    session.refresh_from_db()
    assert session.state == PreviewState.REVOKED and result.startswith("revoked")
    assert session.state_reason


def test_a_person_can_stop_a_preview(live_world, ready_model, no_broker):
    preview_grant(live_world)
    client = signed_in(live_world.vfx)
    client.post("/preview/", preview_form(live_world, ready_model, loop="on"))
    session = PreviewSession.objects.get()
    assert signed_in(live_world.auditor).post(f"/preview/{session.pk}/stop/").status_code == 403
    response = client.post(f"/preview/{session.pk}/stop/")
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.state == PreviewState.STOPPED and "stopped by vfx" in session.state_reason
    from likeness.jobs.preview_runner import run_preview

    assert run_preview(str(session.pk), worker="w") == "skipped: not queued"


def test_training_stores_loss_curves_and_an_age_sweep(live_world, monkeypatch):
    """The worker's training path draws the figures next to the checkpoint and the model records them."""
    from likeness.jobs import submission
    from likeness.jobs.runner import run_job
    from likeness.jobs.submission import job_submit_training

    monkeypatch.setattr(submission, "enqueue_job", lambda job: None)  # run here instead of on a worker

    job = job_submit_training(performer=live_world.performer, production=live_world.production,
                              reference_materials=live_world.references[:2], by=live_world.vfx, size="tiny", steps=20)
    assert run_job(str(job.pk), worker="test-worker") == "completed"
    job.refresh_from_db()
    model = job.trained_model
    assert model.status == "ready"
    assert set(model.loss_history) >= {"rec", "critic"} and len(model.loss_history["rec"]) == 20
    for field in (model.loss_curves, model.age_sweep):
        assert field and Path(field.path).read_bytes().startswith(PNG_MAGIC)
    import cv2

    sweep = cv2.imread(model.age_sweep.path)
    assert sweep.shape[0] == 24 + 2 * 128  # header + one row per reference video
    assert not list(Path(live_world_engine_dir()).glob("models/*.png"))  # work copies removed
    json.dumps(model.loss_history)


def live_world_engine_dir() -> Path:
    from django.conf import settings

    return Path(settings.ENGINE_WORK_DIR)


def test_a_preview_whose_worker_went_silent_ends_as_failed(live_world, ready_model, no_broker):
    import datetime as dt

    from django.utils import timezone

    from likeness.jobs.previews import preview_session_claim, previews_end_stale

    preview_grant(live_world)
    signed_in(live_world.vfx).post("/preview/", preview_form(live_world, ready_model))
    session = PreviewSession.objects.get()
    preview_session_claim(session_id=str(session.pk), worker="gpu-7")
    assert previews_end_stale() == []  # it just reported
    later = timezone.now() + dt.timedelta(minutes=5)
    assert previews_end_stale(now=later) == [str(session.pk)]
    session.refresh_from_db()
    assert session.state == PreviewState.FAILED and "gpu-7 went silent" in session.state_reason
    assert previews_end_stale(now=later) == []  # ended once
