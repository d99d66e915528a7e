"""Every move in the preview, model, grant and output tables (the job's: tests/likeness/jobs/
test_job_transitions.py), each made through the service that makes it in production. A move added to a table
without a case here fails test_every_move_has_a_case."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files import File
from django.utils import timezone

from likeness.consent import services as consent
from likeness.consent.models import GRANT_STATES, ConsentGrant, GrantStatus
from likeness.jobs.models import MODEL_STATES, PREVIEW_STATES, Job, LikenessModel, ModelStatus, PreviewSession
from likeness.jobs.models import PreviewSource as Source
from likeness.jobs.models import PreviewState as P
from likeness.jobs.previews import (
    preview_session_claim,
    preview_session_end,
    preview_session_start,
    preview_session_stop,
    previews_end_stale,
)
from likeness.jobs.submission import job_submit_aging, job_submit_training
from likeness.jobs.worker import job_claim, job_finish_aging, job_finish_training, job_start_training_model, job_stop
from likeness.people.services import reference_material_create
from likeness.policy.models import Decision
from likeness.provenance.models import OUTPUT_STATES, Output, OutputStatus
from tests.conftest import grant_make, grant_scope
from tests.factories import fresh_code, pdf_file


@pytest.fixture
def w(world, footage, settings, tmp_path) -> SimpleNamespace:
    """The shared world with consent for training, aging and the live preview, reference footage and a ready
    model record."""
    settings.PKI_DIR, settings.TSA_URL = tmp_path / "pki", ""
    world.footage, world.tmp = footage, tmp_path
    world.grant = grant_make(world, uses=["training", "de_aging", "aging_up", "realtime_preview"],
                             media=["theatrical", "streaming", "on_set_monitor"])
    world.references = []
    for path, age in footage.refs[:2]:
        with open(path, "rb") as handle:
            world.references.append(reference_material_create(
                performer=world.performer, title=f"Earlier film at {age}", year=1961 + age, performer_age=age,
                rights_basis="studio_owned", by=world.supervisor, file=File(handle, name=Path(path).name)))
    return world


# ----- models --------------------------------------------------------------------------------------------------

def _training_model(w: Any) -> tuple[Job, LikenessModel]:
    job = job_submit_training(performer=w.performer, production=w.production, reference_materials=w.references,
                              by=w.vfx, size="tiny", steps=1)
    job = job_claim(job_id=str(job.pk), worker="gpu-0@test")
    model = job_start_training_model(job=job, decision=Decision.objects.filter(purpose="submit").latest("created_at"))
    return job, model


def _ready_model(w: Any) -> LikenessModel:
    job, model = _training_model(w)
    checkpoint = w.tmp / "model.safetensors"
    checkpoint.write_bytes(b"weights")
    meta = {"dataset_manifest_sha256": "a" * 64, "steps": 1, "age_range": [25, 66], "engine_version": "test"}
    assert job_finish_training(job_id=str(job.pk), attempt=job.attempt, checkpoint=checkpoint, meta=meta,
                               engine_seconds=1.0)
    model.refresh_from_db()
    return model


def _failed_model(w: Any) -> LikenessModel:
    job, model = _training_model(w)
    assert job_stop(job_id=str(job.pk), attempt=job.attempt, state="failed", reason="the engine crashed")
    return model


def _revoke(w: Any, *, destroy: bool = False) -> None:
    if destroy:
        ConsentGrant.objects.filter(pk=w.grant.pk).update(destroy_models_on_revocation=True)
    consent.grant_revoke(grant=w.grant, by=w.rep, reason="the performer withdrew")


def _destroyed_model(w: Any, capture: Any) -> LikenessModel:
    model = _ready_model(w)
    with capture(execute=True):  # the weights are deleted once the quarantine has committed
        _revoke(w, destroy=True)
    return model


MODEL_CASES: dict[tuple[str, str], Callable[..., Any]] = {
    (ModelStatus.TRAINING, ModelStatus.READY): lambda w, **_: _ready_model(w),
    (ModelStatus.TRAINING, ModelStatus.FAILED): lambda w, **_: _failed_model(w),
    (ModelStatus.TRAINING, ModelStatus.QUARANTINED): lambda w, **_: (_training_model(w)[1], _revoke(w))[0],
    (ModelStatus.READY, ModelStatus.QUARANTINED): lambda w, **_: (_ready_model(w), _revoke(w))[0],
    (ModelStatus.QUARANTINED, ModelStatus.DESTROYED): lambda w, capture, **_: _destroyed_model(w, capture),
}


# ----- previews ------------------------------------------------------------------------------------------------

def _queued_preview(w: Any) -> PreviewSession:
    session = preview_session_start(performer=w.performer, production=w.production, likeness_model=_ready_model(w),
                                    source_kind=Source.REFERENCE, reference_material=w.references[0], target_age=30,
                                    by=w.vfx)
    assert session.state == P.QUEUED, session.state_reason
    return session


def _running_preview(w: Any) -> PreviewSession:
    session = preview_session_claim(session_id=str(_queued_preview(w).pk), worker="gpu-0@test")
    assert session is not None
    return session


def _ended(w: Any, state: str) -> PreviewSession:
    session = _running_preview(w)
    assert preview_session_end(session_id=str(session.pk), state=state, reason="ended")
    return session


def _stale(w: Any) -> PreviewSession:
    session = _running_preview(w)
    assert previews_end_stale(now=timezone.now() + dt.timedelta(hours=1)) == [str(session.pk)]
    return session


PREVIEW_CASES: dict[tuple[str, str], Callable[..., Any]] = {
    (P.QUEUED, P.RUNNING): lambda w, **_: _running_preview(w),
    (P.QUEUED, P.STOPPED): lambda w, **_: preview_session_stop(session=_queued_preview(w), by=w.vfx),
    (P.RUNNING, P.STOPPED): lambda w, **_: preview_session_stop(session=_running_preview(w), by=w.vfx),
    (P.RUNNING, P.FINISHED): lambda w, **_: _ended(w, P.FINISHED),
    (P.RUNNING, P.REVOKED): lambda w, **_: _ended(w, P.REVOKED),
    (P.RUNNING, P.FAILED): lambda w, **_: _stale(w),
}


# ----- grants --------------------------------------------------------------------------------------------------

def _amendment(w: Any, *, submit: bool) -> ConsentGrant:
    draft = consent.grant_amend(grant=w.grant, by=w.rep, depicted_age_max=50)
    return consent.grant_submit(grant=draft, document=pdf_file(), by=w.rep) if submit else draft


def _pending_then_revoked(w: Any, *, submit: bool) -> ConsentGrant:
    pending = _amendment(w, submit=submit)
    _revoke(w)
    return pending


def _superseded(w: Any) -> ConsentGrant:
    consent.grant_approve(grant=_amendment(w, submit=True), by=w.counsel)
    return w.grant


def _expired(w: Any) -> ConsentGrant:
    later = timezone.now() + dt.timedelta(days=400)  # after the term (a year)
    assert w.grant in consent.grants_expire(now=later)
    return w.grant


def _fresh_draft(w: Any) -> ConsentGrant:
    return consent.grant_draft_create(performer=w.performer, productions=[w.sequel], by=w.rep, **grant_scope())


GRANT_CASES: dict[tuple[str, str], Callable[..., Any]] = {
    (GrantStatus.DRAFT, GrantStatus.AWAITING_APPROVAL):
        lambda w, **_: consent.grant_submit(grant=_fresh_draft(w), document=pdf_file(), by=w.rep),
    (GrantStatus.DRAFT, GrantStatus.REVOKED): lambda w, **_: _pending_then_revoked(w, submit=False),
    (GrantStatus.AWAITING_APPROVAL, GrantStatus.ACTIVE):
        lambda w, **_: grant_make(w, productions=[w.sequel]),
    (GrantStatus.AWAITING_APPROVAL, GrantStatus.REVOKED): lambda w, **_: _pending_then_revoked(w, submit=True),
    (GrantStatus.ACTIVE, GrantStatus.SUPERSEDED): lambda w, **_: _superseded(w),
    (GrantStatus.ACTIVE, GrantStatus.REVOKED): lambda w, **_: (_revoke(w), w.grant)[1],
    (GrantStatus.ACTIVE, GrantStatus.EXPIRED): lambda w, **_: _expired(w),
}


# ----- outputs -------------------------------------------------------------------------------------------------

def _output(w: Any, *, approved: bool = False) -> Output:
    with open(w.footage.plate, "rb") as plate:
        job = job_submit_aging(performer=w.performer, production=w.production, likeness_model=_ready_model(w),
                               plate=plate, plate_name="plate.mp4", target_age=30, by=w.vfx, frame_end=4)
    job = job_claim(job_id=str(job.pk), worker="gpu-0@test")
    assert job_finish_aging(job_id=str(job.pk), attempt=job.attempt, rendered=w.footage.plate, mime="video/mp4",
                            engine_seconds=1.0, stats={"frames_total": 4})
    output = Job.objects.get(pk=job.pk).output
    if approved:
        from likeness.provenance.services import output_approve

        fresh_code(w.counsel)
        output = output_approve(output=output, by=w.counsel, note="approved after watching it")
    output.job_pk = job.pk
    return output


def _released(w: Any) -> Output:
    from likeness.jobs.release import job_release
    from likeness.provenance.services import pki_initialise

    pki_initialise()
    output = _output(w, approved=True)
    job_release(job=Job.objects.get(pk=output.job_pk), by=w.supervisor)
    return output


def _declined(w: Any, *, approved: bool) -> Output:
    from likeness.provenance.services import output_decline

    return output_decline(output=_output(w, approved=approved), by=w.rep, note="the jawline reads wrong")


def _withdrawn(w: Any, *, approved: bool) -> Output:
    output = _output(w, approved=approved)
    _revoke(w)
    return output


OUTPUT_CASES: dict[tuple[str, str], Callable[..., Any]] = {
    (OutputStatus.AWAITING_APPROVAL, OutputStatus.APPROVED): lambda w, **_: _output(w, approved=True),
    (OutputStatus.AWAITING_APPROVAL, OutputStatus.DECLINED): lambda w, **_: _declined(w, approved=False),
    (OutputStatus.AWAITING_APPROVAL, OutputStatus.WITHDRAWN): lambda w, **_: _withdrawn(w, approved=False),
    (OutputStatus.APPROVED, OutputStatus.RELEASED): lambda w, **_: _released(w),
    (OutputStatus.APPROVED, OutputStatus.DECLINED): lambda w, **_: _declined(w, approved=True),
    (OutputStatus.APPROVED, OutputStatus.WITHDRAWN): lambda w, **_: _withdrawn(w, approved=True),
}

TABLES = {"model": (MODEL_STATES, MODEL_CASES, "status"), "preview": (PREVIEW_STATES, PREVIEW_CASES, "state"),
          "grant": (GRANT_STATES, GRANT_CASES, "status"), "output": (OUTPUT_STATES, OUTPUT_CASES, "status")}
ALL = [(name, source, target) for name, (_m, cases, _f) in TABLES.items() for source, target in sorted(cases)]


@pytest.mark.parametrize("name", TABLES)
def test_every_move_has_a_case(name: str) -> None:
    machine, cases, _ = TABLES[name]
    assert set(cases) == set(machine.transitions())


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "source", "target"), ALL, ids=[f"{n}:{s}->{t}" for n, s, t in ALL])
def test_the_service_makes_the_move(w, django_capture_on_commit_callbacks, name: str, source: str,
                                    target: str) -> None:
    _machine, cases, field = TABLES[name]
    record = cases[(source, target)](w, capture=django_capture_on_commit_callbacks)
    record.refresh_from_db()
    assert getattr(record, field) == target
