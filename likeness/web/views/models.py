"""Likeness models (status, lineage, training figures) and the live two-screen preview.

The web process never imports torch: training figures are PNG files a worker drew after training, and the
preview's frames are JPEGs a GPU worker writes for a gated PreviewSession; these views only read files.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any, TypeGuard

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from likeness.access.predicates import may_stop_preview
from likeness.access.requester import signed_in
from likeness.access.scope import (
    models_usable_by,
    models_visible_to,
    performers_usable_by,
    preview_sessions_visible_to,
    productions_of_studio,
)
from likeness.celery import GPU_QUEUE
from likeness.jobs.models import Job, JobKind, LikenessModel, ModelStatus, PreviewSession, PreviewSource
from likeness.jobs.previews import preview_session_start, preview_session_stop
from likeness.jobs.storage import preview_frame_path
from likeness.operations.selectors import queue_health
from likeness.organisations.models import VFX_ROLES
from likeness.people.models import Performer, ReferenceMaterial
from likeness.productions.models import Production
from likeness.web.access import for_groups, in_groups, require_groups
from likeness.web.forms import model_choices

FIGURES = {"loss_curves": "Training loss curves", "age_sweep": "Age sweep of the reference faces"}
# A running session whose worker has not reported for this long is shown as silent (its worker may have died).
SILENT_AFTER_SECONDS = 15
STREAM_MAX_SECONDS = 600  # one MJPEG response at most this long: the page reconnects if it wants more


# ----- models -------------------------------------------------------------------------------------------------

@require_GET
@for_groups("vfx", "consent", "auditor", doing="see likeness models")
def model_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    models = models_visible_to(request.user).select_related("performer", "grant").order_by("-created_at")
    if status in ModelStatus.values:
        models = models.filter(status=status)
    return render(request, "web/models/list.html", {
        "models": models[:200], "status": status, "statuses": ModelStatus.choices,
        "can_preview": in_groups(request, ["vfx"]),
    })


def _visible_model(request: HttpRequest, pk: Any) -> LikenessModel:
    # Another studio's model is a 404, not a 403: its existence is not the viewer's business.
    return get_object_or_404(models_visible_to(request.user).select_related("performer", "grant", "decision"), pk=pk)


@require_GET
@for_groups("vfx", "consent", "auditor", doing="see likeness models")
def model_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    model = _visible_model(request, pk)
    job = Job.objects.filter(trained_model=model).first()
    sessions = preview_sessions_visible_to(request.user).filter(likeness_model=model).select_related("decision")[:10]
    return render(request, "web/models/detail.html", {
        "model": model, "job": job, "references": model.reference_materials.all(),
        "figures": [{"key": k, "title": t, "present": bool(getattr(model, k))} for k, t in FIGURES.items()],
        "loss_names": sorted(model.loss_history), "sessions": sessions,
        "can_preview": in_groups(request, ["vfx"]) and model.status == ModelStatus.READY,
    })


@require_GET
@for_groups("vfx", "consent", "auditor", doing="see likeness models")
def model_figure(request: HttpRequest, pk: Any, figure: str) -> HttpResponseBase:
    if figure not in FIGURES:
        raise Http404("no such figure")
    field = getattr(_visible_model(request, pk), figure)
    if not field:
        raise Http404("this model has no such figure")
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404("the figure file is missing") from exc
    response = FileResponse(handle, content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


# ----- live preview -------------------------------------------------------------------------------------------

class PreviewForm(forms.Form):
    performer = forms.ModelChoiceField(queryset=Performer.objects.none(), help_text="Who is in the shot.")
    production = forms.ModelChoiceField(queryset=Production.objects.none(),
                                        help_text="The production filming; its consent and union rules apply.")
    likeness_model = forms.ModelChoiceField(queryset=LikenessModel.objects.none(), label="Model",
                                            help_text="A ready model of the performer.")
    source_kind = forms.ChoiceField(choices=PreviewSource.choices, initial=PreviewSource.REFERENCE, label="Source",
                                    widget=forms.RadioSelect)
    reference_material = forms.ModelChoiceField(queryset=ReferenceMaterial.objects.none(), required=False,
                                                label="Reference video", help_text="For the reference-video source.")
    plate_job = forms.ModelChoiceField(queryset=Job.objects.none(), required=False, label="Plate",
                                       help_text="For the plate source: the plate of one of your aging jobs.")
    camera_index = forms.IntegerField(required=False, min_value=0, max_value=15, label="Camera number",
                                      help_text="For the camera source: the camera's number on the GPU worker.")
    target_age = forms.FloatField(min_value=0, max_value=120, label="Target age",
                                  help_text="The age the aged monitor shows.")
    loop = forms.BooleanField(required=False, initial=True, label="Play a file source again when it ends")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ready: QuerySet[LikenessModel] = models_usable_by(user).filter(status=ModelStatus.READY).select_related(
            "performer")
        performers = performers_usable_by(user).filter(pk__in=ready.values("performer_id"))
        model_choices(self, "performer").queryset = performers
        model_choices(self, "production").queryset = productions_of_studio(user, VFX_ROLES)
        model_choices(self, "likeness_model").queryset = ready
        model_choices(self, "likeness_model").label_from_instance = (  # type: ignore[method-assign]
            lambda obj: f"{obj.performer} · {obj.size} · {str(obj.pk)[:8]} · {obj.training_steps} steps")
        model_choices(self, "reference_material").queryset = ReferenceMaterial.objects.filter(
            performer__in=performers).exclude(file="")
        model_choices(self, "reference_material").label_from_instance = (  # type: ignore[method-assign]
            lambda obj: f"{obj.performer} · {obj.title} (age {obj.performer_age})")
        plate_jobs = model_choices(self, "plate_job")
        plate_jobs.queryset = Job.objects.filter(kind=JobKind.AGING, production__in=productions_of_studio(
            user, VFX_ROLES)).exclude(plate="")
        plate_jobs.label_from_instance = (  # type: ignore[method-assign]
            lambda obj: f"{obj.performer} · {obj.production} · {str(obj.pk)[:8]}")


def _form_errors_from(form: PreviewForm, exc: ValidationError) -> None:
    for field, messages in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        form.add_error(field if field in form.fields else None, messages)


@require_http_methods(["GET", "POST"])
@for_groups("vfx", "auditor", doing="see live previews")
def preview(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Auditors may look at previews and their decisions, never start one.
        require_groups(request, ["vfx"], "start a live preview")
        form = PreviewForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = preview_session_start(
                    performer=data["performer"], production=data["production"],
                    likeness_model=data["likeness_model"], source_kind=data["source_kind"],
                    target_age=data["target_age"], by=signed_in(request), reference_material=data["reference_material"],
                    plate_job=data["plate_job"], camera_index=data["camera_index"], loop=bool(data["loop"]))
            except ValidationError as exc:
                _form_errors_from(form, exc)
            else:
                return redirect("web:preview_session", pk=session.pk)
        status = 400
    else:
        initial: dict[str, Any] = {}
        wanted = request.GET.get("model")  # "Preview with this model" on a model page
        model = models_visible_to(request.user).filter(pk=wanted).first() if _is_uuid(wanted) else None
        if model is not None:
            initial = {"likeness_model": model.pk, "performer": model.performer_id}
        form = PreviewForm(initial=initial, user=request.user)
        status = 200
    sessions = preview_sessions_visible_to(request.user).select_related("performer", "production", "decision")[:20]
    return render(request, "web/preview/start.html", {
        "form": form, "sessions": sessions, "can_start": in_groups(request, ["vfx"]),
    }, status=status)


def _is_uuid(value: str | None) -> TypeGuard[str]:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _visible_session(request: HttpRequest, pk: Any) -> PreviewSession:
    return get_object_or_404(preview_sessions_visible_to(request.user).select_related(
        "performer", "production", "likeness_model", "decision", "reference_material", "requested_by"), pk=pk)


def _status_context(session: PreviewSession) -> dict[str, Any]:
    from django.utils import timezone

    silent = bool(session.state == "running" and session.heartbeat_at
                  and (timezone.now() - session.heartbeat_at).total_seconds() > SILENT_AFTER_SECONDS)
    order = ["capture", "detect_track", "align", "model", "composite", "present", "publish", "total"]
    stages = sorted(session.latency_ms.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 50, kv[0]))
    return {"session": session, "stages": stages, "silent": silent, "decision": session.decision,
            "worker_health": queue_health(GPU_QUEUE) if session.live else None}


@require_GET
@for_groups("vfx", "auditor", doing="see live previews")
def preview_session(request: HttpRequest, pk: Any) -> HttpResponse:
    session = _visible_session(request, pk)
    return render(request, "web/preview/session.html", {
        **_status_context(session), "can_stop": session.live and may_stop_preview(request.user, session),
        "decisions": session.decisions.order_by("-created_at")[:10],
    })


@require_GET
@for_groups("vfx", "auditor", doing="see live previews")
def preview_status(request: HttpRequest, pk: Any) -> HttpResponse:
    """The part of the page htmx refreshes: state, decision, latencies. Polling stops once the session ends."""
    session = _visible_session(request, pk)
    return render(request, "web/preview/_status.html", _status_context(session))


@require_GET
@for_groups("vfx", "auditor", doing="see live previews")
def preview_frame(request: HttpRequest, pk: Any) -> HttpResponse:
    """The latest frame, tagged with its file's version: the page sends the tag back and gets a bodiless 304 while
    the worker has written nothing new (the page's poll backs off on those)."""
    session = _visible_session(request, pk)
    try:
        with preview_frame_path(str(session.pk)).open("rb") as handle:
            # The worker replaces the file whole, so the open file's own size and time name these very bytes.
            info = os.fstat(handle.fileno())
            etag = f'"{info.st_mtime_ns:x}-{info.st_size:x}"'
            if request.headers.get("If-None-Match") == etag:
                response = HttpResponse(status=304)
            else:
                response = HttpResponse(handle.read(), content_type="image/jpeg")
    except FileNotFoundError as exc:
        raise Http404("no frame yet") from exc
    response["ETag"] = etag
    response["Cache-Control"] = "no-store"
    return response


def _mjpeg(session_id: str) -> Iterator[bytes]:
    """multipart/x-mixed-replace: each part is the latest frame, sent when the worker has replaced it."""
    path = preview_frame_path(session_id)
    started, last_mtime, last_state_check = time.monotonic(), 0, 0.0
    while time.monotonic() - started < STREAM_MAX_SECONDS:
        try:
            mtime = path.stat().st_mtime_ns
            if mtime != last_mtime:
                data = path.read_bytes()
                last_mtime = mtime
                yield (b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " + str(len(data)).encode()
                       + b"\r\n\r\n" + data + b"\r\n")
        except FileNotFoundError:
            pass
        if time.monotonic() - last_state_check > 1.0:
            last_state_check = time.monotonic()
            if not PreviewSession.objects.filter(pk=session_id, state__in=["queued", "running"]).exists():
                return  # the session ended: the last frame stays on screen
        time.sleep(0.04)


@require_GET
@for_groups("vfx", "auditor", doing="see live previews")
def preview_mjpeg(request: HttpRequest, pk: Any) -> HttpResponseBase:
    session = _visible_session(request, pk)
    response = StreamingHttpResponse(_mjpeg(str(session.pk)), content_type="multipart/x-mixed-replace; boundary=frame")
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@for_groups("vfx", doing="stop a live preview")
def preview_stop(request: HttpRequest, pk: Any) -> HttpResponse:
    session = _visible_session(request, pk)
    preview_session_stop(session=session, by=signed_in(request))  # PermissionDenied renders the 403 page
    return redirect("web:preview_session", pk=session.pk)


routes = [
    path("models/", model_list, name="models"),
    path("models/<uuid:pk>/", model_detail, name="model"),
    path("models/<uuid:pk>/figures/<slug:figure>.png", model_figure, name="model_figure"),
    path("preview/", preview, name="preview"),
    path("preview/<uuid:pk>/", preview_session, name="preview_session"),
    path("preview/<uuid:pk>/status/", preview_status, name="preview_status"),
    path("preview/<uuid:pk>/frame.jpg", preview_frame, name="preview_frame"),
    path("preview/<uuid:pk>/stream.mjpg", preview_mjpeg, name="preview_stream"),
    path("preview/<uuid:pk>/stop/", preview_stop, name="preview_stop"),
]
