"""Live preview sessions (the set's monitors): start (gated), stop, and the worker's claim, reports and end."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from likeness.access import predicates
from likeness.audit.services import audit_record
from likeness.jobs.checks import require_studio_vfx, require_usable
from likeness.jobs.gating import preview_decide
from likeness.jobs.models import (
    PREVIEW_STATES,
    Job,
    LikenessModel,
    ModelStatus,
    PreviewSession,
    PreviewSource,
    PreviewState,
)
from likeness.jobs.queueing import enqueue_preview
from likeness.people.models import Performer, ReferenceMaterial
from likeness.policy.models import Decision, DecisionPurpose
from likeness.productions.models import Production


@transaction.atomic
def preview_session_start(*, performer: Performer, production: Production, likeness_model: LikenessModel,
                          source_kind: str, target_age: float, by: User,
                          reference_material: ReferenceMaterial | None = None, plate_job: Job | None = None,
                          camera_index: int | None = None, loop: bool = True, max_seconds: int = 600) -> PreviewSession:
    """Ask the gate for a live preview (use realtime_preview, on the set's monitors); on allow, queue it for a GPU
    worker. A denied request is kept, with its Decision, so the page can say why."""
    require_studio_vfx(by, production)
    require_usable(by, performer=performer, likeness_model=likeness_model,
                    reference_materials=[reference_material] if reference_material is not None else None)
    errors: dict[str, list[str]] = {}
    if likeness_model.performer_id != performer.pk:
        errors["likeness_model"] = [f"this model is of another performer, not {performer}"]
    elif likeness_model.status != ModelStatus.READY:
        errors["likeness_model"] = [f"the model is {likeness_model.status}: only a ready model may be used"]
    if not 0 <= target_age <= 120:
        errors["target_age"] = ["must be between 0 and 120"]
    elif refusal := likeness_model.target_age_refusal(target_age):
        errors["target_age"] = [refusal]
    if not 1 <= max_seconds <= 4 * 3600:
        errors["max_seconds"] = ["must be between 1 second and 4 hours"]
    if source_kind == PreviewSource.REFERENCE:
        if reference_material is None or reference_material.performer_id != performer.pk:
            errors["reference_material"] = [f"choose a reference video of {performer}"]
        elif not reference_material.file:
            errors["reference_material"] = [f"no file was uploaded for {reference_material.title}"]
    elif source_kind == PreviewSource.PLATE:
        if plate_job is None or plate_job.performer_id != performer.pk or not plate_job.plate:
            errors["plate_job"] = [f"choose an aging job with a plate of {performer}"]
        elif plate_job.production.studio_id != production.studio_id:
            errors["plate_job"] = ["that plate belongs to another studio's production"]
    elif source_kind == PreviewSource.CAMERA:
        if camera_index is None or not 0 <= camera_index <= 15:
            errors["camera_index"] = ["give the worker's camera number (0-15)"]
    else:
        errors["source_kind"] = [f"choose one of {', '.join(PreviewSource.values)}"]
    if errors:
        raise ValidationError(errors)
    session = PreviewSession(
        performer=performer, production=production, likeness_model=likeness_model, requested_by=by,
        source_kind=source_kind, target_age=float(target_age), loop=loop, max_seconds=max_seconds,
        reference_material=reference_material if source_kind == PreviewSource.REFERENCE else None,
        plate_job=plate_job if source_kind == PreviewSource.PLATE else None,
        camera_index=camera_index if source_kind == PreviewSource.CAMERA else None)
    decision = preview_decide(session=session, purpose=DecisionPurpose.SUBMIT, by=by)
    session.decision = decision
    if decision.allowed:
        session.state = PreviewState.QUEUED
    else:
        session.state, session.state_reason, session.finished_at = PreviewState.DENIED, decision.explanation, timezone.now()
    session.save()
    session.decisions.add(decision)
    audit_record(actor=by, action=f"preview.{session.state}", obj=session,
                 data={"model": str(likeness_model.pk), "target_age": session.target_age, "source": source_kind,
                       "decision": str(decision.pk), "outcome": decision.outcome})
    if decision.allowed:
        enqueue_preview(session)
    return session


@transaction.atomic
def preview_session_stop(*, session: PreviewSession, by: User, reason: str = "") -> PreviewSession:
    predicates.require(predicates.may_stop_preview(by, session),
                       "only VFX staff of the production's studio may stop this preview")
    reason = reason or f"stopped by {by.get_username()}"
    stopped = PreviewSession.objects.filter(pk=session.pk, state__in=PREVIEW_STATES.sources(PreviewState.STOPPED)).update(
        state=PreviewState.STOPPED, state_reason=reason, finished_at=timezone.now())
    if stopped:
        audit_record(actor=by, action="preview.stopped", obj=session, data={"reason": reason})
    session.refresh_from_db()
    return session


def preview_session_claim(*, session_id: str, worker: str) -> PreviewSession | None:
    """Take a queued preview (conditional UPDATE: a second delivery of the task finds nothing to take)."""
    now = timezone.now()
    with transaction.atomic():
        taken = PreviewSession.objects.filter(pk=session_id, state=PreviewState.QUEUED).update(
            state=PreviewState.RUNNING, worker=worker[:200], started_at=now, heartbeat_at=now)
        if not taken:
            return None
        session = PreviewSession.objects.select_related(
            "performer", "production", "likeness_model", "reference_material", "plate_job").get(pk=session_id)
        audit_record(actor=None, action="preview.running", obj=session, data={"worker": worker})
    return session


def preview_session_report(*, session_id: str, frames: int, frames_with_face: int, fps: float | None,
                           latency_ms: dict[str, dict[str, float]]) -> str:
    """The worker's figures, about once a second; returns the session's state (a person may have stopped it)."""
    PreviewSession.objects.filter(pk=session_id, state=PreviewState.RUNNING).update(
        frames=frames, frames_with_face=frames_with_face, fps=fps, latency_ms=latency_ms, heartbeat_at=timezone.now())
    return PreviewSession.objects.filter(pk=session_id).values_list("state", flat=True).first() or ""


def previews_end_stale(*, now: dt.datetime | None = None) -> list[str]:
    """Previews whose worker stopped reporting (it died) end as failed: a live preview is never replayed, the
    person on set starts a new one."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    ended = []
    for session_id, worker in PreviewSession.objects.filter(state=PreviewState.RUNNING, heartbeat_at__lt=cutoff) \
            .values_list("pk", "worker"):
        reason = f"worker {worker} went silent (no report since {cutoff:%H:%M:%S}); start the preview again"
        if preview_session_end(session_id=str(session_id), state=PreviewState.FAILED, reason=reason):
            ended.append(str(session_id))
    return ended


@transaction.atomic
def preview_session_end(*, session_id: str, state: str, reason: str, decision: Decision | None = None) -> bool:
    """End a running preview as finished, revoked or failed (only if it is still running)."""
    PREVIEW_STATES.require(PreviewState.RUNNING, state)
    ended = PreviewSession.objects.filter(pk=session_id, state=PreviewState.RUNNING).update(
        state=state, state_reason=reason[:4000], finished_at=timezone.now())
    if ended:
        audit_record(actor=None, action=f"preview.{state}", object_type="jobs.previewsession", object_id=session_id,
                     data={"reason": reason, "decision": str(decision.pk) if decision is not None else None})
    return bool(ended)
