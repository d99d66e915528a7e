"""Pages for VFX staff: request training and aging jobs (with the gate's pre-flight decision first), follow a
job live, cancel it, and review an aging job's output against its plate frame by frame.

Reads go through the selectors (what the user may see), writes only through the job services (which check
who may change what and ask the gate). The web process never imports torch: frames are decoded here with
PyAV and encoded with OpenCV, the same torch-free libraries engine/media.py uses.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from likeness.access.predicates import may_cancel_job
from likeness.access.requester import signed_in
from likeness.access.scope import jobs_visible_to
from likeness.celery import GPU_QUEUE
from likeness.jobs import submission
from likeness.jobs.gating import job_gate_request
from likeness.jobs.models import TERMINAL_STATES, Job, JobKind, JobState, OutputCodec
from likeness.operations.selectors import queue_health
from likeness.policy.facts import FactsError
from likeness.policy.gate import evaluate
from likeness.policy.selectors import gate_facts
from likeness.web.access import for_groups, in_groups, refuse_auditors
from likeness.web.forms.jobs import AgingJobForm, JobRequestForm, TrainingJobForm
from likeness.web.views.review import Reviewed, frame_response, player_context

log = logging.getLogger(__name__)

# The engine has nothing more to do in these states: the live panel stops polling. An aging job waiting for
# approval is settled for this page (its next step is a person's, on the outputs pages).
SETTLED_STATES = frozenset(TERMINAL_STATES | {JobState.AWAITING_APPROVAL})
CANCELLABLE_STATES = frozenset({JobState.SUBMITTED, JobState.QUEUED, JobState.RUNNING})
FORMS: dict[str, type[JobRequestForm]] = {JobKind.TRAINING: TrainingJobForm, JobKind.AGING: AgingJobForm}
# The fields the gate needs to decide; the others (plate, frames, reference material) are checked at submit.
PREFLIGHT_FIELDS = {JobKind.TRAINING: ("performer", "production"),
                    JobKind.AGING: ("performer", "production", "likeness_model", "target_age")}
FIELD_WORDS = {"performer": "the performer", "production": "the production", "likeness_model": "a model",
               "target_age": "a target age"}
POLL_SECONDS = 1
OUTCOME_LABELS = {"allow": "Allow", "allow_with_obligations": "Allow with obligations", "needs_review": "Needs review",
                  "deny": "Deny"}


def no_auditors_on_post(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Auditors read everything and change nothing (as in the API): any POST from one is a 403 page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST":
            refuse_auditors(request, "request, change or cancel jobs")
        return view(request, *args, **kwargs)

    return wrapped


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _visible_job(request: HttpRequest, pk: Any) -> Job:
    """A job the user may see, or 404: another studio's job is as absent as one that never existed."""
    qs = jobs_visible_to(request.user).select_related("performer", "production", "requested_by", "likeness_model",
                                                      "trained_model", "output", "submit_decision")
    return get_object_or_404(qs, pk=pk)


# ----- list -----------------------------------------------------------------------------------------------------

@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    jobs: QuerySet[Job] = jobs_visible_to(request.user).select_related("performer", "production")
    state = request.GET.get("state", "")
    if state in JobState.values:
        jobs = jobs.filter(state=state)
    else:
        state = ""
    kind = request.GET.get("kind", "")
    if kind in JobKind.values:
        jobs = jobs.filter(kind=kind)
    else:
        kind = ""
    return render(request, "web/jobs/list.html", {
        "jobs": jobs.order_by("-created_at")[:200], "state": state, "kind": kind,
        "states": JobState.choices, "kinds": JobKind.choices, "settled": SETTLED_STATES,
        "can_request": in_groups(request, ["vfx"]),
    })


# ----- request forms and the pre-flight -------------------------------------------------------------------------

def _initial_from(query: QueryDict) -> dict[str, Any]:
    """Values carried in the query string (the performer picker reloads the form with them as a GET)."""
    # The plate never travels in a query string (htmx would send a placeholder for the file input).
    initial: dict[str, Any] = {k: v for k, v in query.items() if k not in ("reference_materials", "plate")}
    if "reference_materials" in query:
        initial["reference_materials"] = query.getlist("reference_materials")
    return initial


def _form_page(request: HttpRequest, kind: str, form: JobRequestForm, *, preflight: dict[str, Any] | None = None,
               status: int = 200) -> HttpResponse:
    title = "Request a training job" if kind == JobKind.TRAINING else "Request an aging job"
    return render(request, "web/jobs/form.html", {
        "kind": kind, "form": form, "title": title, "preflight": preflight,
        "form_url": reverse(f"web:job_{kind}_new"), "preflight_url": reverse("web:job_preflight", args=[kind]),
    }, status=status)


def _job_request(request: HttpRequest, kind: str) -> HttpResponse:
    form_class = FORMS[kind]
    if request.method == "GET":
        return _form_page(request, kind, form_class(user=signed_in(request), initial=_initial_from(request.GET)))
    form = form_class(request.POST, request.FILES, user=signed_in(request))
    if not form.is_valid():
        return _form_page(request, kind, form, status=400)
    data = form.cleaned_data
    try:
        if kind == JobKind.TRAINING:
            job = submission.job_submit_training(performer=data["performer"], production=data["production"],
                                               reference_materials=list(data["reference_materials"]),
                                               size=data["size"], by=signed_in(request))
        else:
            plate = data["plate"]
            job = submission.job_submit_aging(performer=data["performer"], production=data["production"],
                                            likeness_model=data["likeness_model"], plate=plate, plate_name=plate.name,
                                            target_age=data["target_age"], frame_start=data["frame_start"],
                                            frame_end=data.get("frame_end"),
                                            use_description=data.get("use_description") or "",
                                            codec=data.get("codec") or OutputCodec.H264, by=signed_in(request))
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _form_page(request, kind, form, status=400)
    # A denial is a stored job like any other: its page shows the gate's explanation and the decision.
    if job.state == JobState.DENIED:
        messages.error(request, "The gate denied this request; the job is recorded with the reason below.")
    else:
        messages.success(request, "The gate allowed the request: the job is queued for a GPU worker.")
    return redirect("web:job", pk=job.pk)


@no_auditors_on_post  # first, so an auditor's POST is told why in the auditors' terms
@for_groups("vfx", doing="request training jobs")
@require_http_methods(["GET", "POST"])
def job_training_new(request: HttpRequest) -> HttpResponse:
    return _job_request(request, JobKind.TRAINING)


@no_auditors_on_post  # first, so an auditor's POST is told why in the auditors' terms
@for_groups("vfx", doing="request aging jobs")
@require_http_methods(["GET", "POST"])
def job_aging_new(request: HttpRequest) -> HttpResponse:
    return _job_request(request, JobKind.AGING)


def preflight_outcome(form: JobRequestForm, kind: str) -> dict[str, Any]:
    """Ask the gate about the request in `form` without creating a job or storing a Decision.

    The request is built by the very function a submission uses (job_gate_request on an unsaved Job with the
    same fields), and evaluated against the facts as they are now, so the answer here is the answer the
    submission gets unless consent changes in between. Nothing is written: a form re-checked on every change
    would otherwise fill the decision log and the audit chain with drafts.
    """
    form.is_valid()  # the plate and frames may still be missing: only the fields the gate needs matter here
    needed = PREFLIGHT_FIELDS[JobKind(kind)]
    missing = [name for name in needed if name in form.errors or form.cleaned_data.get(name) in (None, "")]
    if missing:
        return {"ready": False, "missing": [FIELD_WORDS[n] for n in missing],
                "problems": [f"{form.fields[n].label or n}: {e}" for n in missing for e in form.errors.get(n, [])
                             if form.data.get(n) not in (None, "")]}
    data = form.cleaned_data
    job = Job(kind=kind, performer=data["performer"], production=data["production"])
    if kind == JobKind.TRAINING:
        job.params = {"size": data.get("size") or "preview"}
    else:
        job.likeness_model = data["likeness_model"]
        job.params = {"target_age": float(data["target_age"])}
        if (data.get("use_description") or "").strip():
            job.params["use_description"] = data["use_description"].strip()
    try:
        result = evaluate(job_gate_request(job), gate_facts(performer=job.performer, production=job.production))
    except FactsError as exc:
        return {"ready": False, "missing": [], "problems": [f"{k}: {v}" for k, v in exc.errors.items()]}
    return {"ready": True, "outcome": str(result.outcome), "allowed": result.allowed,
            "outcome_label": OUTCOME_LABELS.get(str(result.outcome), str(result.outcome)),
            "explanation": result.explanation, "obligations": result.obligations, "lines": result.lines,
            "regimes": result.regimes}


@for_groups("vfx", doing="ask the gate about job requests")
@require_GET
def job_preflight(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in FORMS:
        raise Http404("no such job kind")
    form = FORMS[kind](request.GET, user=signed_in(request))
    outcome = preflight_outcome(form, kind)
    if _is_htmx(request):
        return render(request, "web/jobs/_preflight.html", {"preflight": outcome})
    # Without JavaScript the "Check with the gate" button lands here: the whole form, refilled, with the answer.
    page_form = FORMS[kind](user=signed_in(request), initial=_initial_from(request.GET))
    return _form_page(request, kind, page_form, preflight=outcome)


# ----- one job: page, live panel, cancel --------------------------------------------------------------------------

def _eta_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"about {seconds} s"
    if seconds < 5400:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


def _may_cancel(request: HttpRequest, job: Job) -> bool:
    """The service's own predicate, asked only to decide whether to show the button; the service decides."""
    return job.state in CANCELLABLE_STATES and may_cancel_job(request.user, job)


def _labelled(decision: Any) -> Any:
    decision.outcome_label = OUTCOME_LABELS.get(decision.outcome, decision.outcome)
    return decision


def _decisions(job: Job, keep: int = 5) -> dict[str, Any]:
    """The submit decision and the latest checks: a long render re-checks the gate between every chunk, and the
    page shows how many checks in between it folded away (all of them are on the Decisions pages)."""
    decisions = [_labelled(d) for d in job.decisions.order_by("created_at")]
    if len(decisions) <= keep + 1:
        return {"decisions": decisions, "decisions_folded": 0}
    return {"decisions": [decisions[0], *decisions[-keep:]], "decisions_folded": len(decisions) - keep - 1}


def _live_context(request: HttpRequest, job: Job) -> dict[str, Any]:
    settled = job.state in SETTLED_STATES
    fraction = job.progress_done / job.progress_total if job.progress_total else None
    return {
        "job": job, "settled": settled, "poll_seconds": POLL_SECONDS,
        "percent": round(100 * fraction) if fraction is not None else None,
        "eta": "" if settled else _eta_text(job.eta_seconds),
        "log_lines": list(reversed(list(job.log_lines.order_by("-id")[:50]))),
        **_decisions(job),
        "may_cancel": _may_cancel(request, job),
        "reviewable": job.kind == JobKind.AGING and job.output_id is not None,
        # Whether a worker is there to take or finish it (a queued job with no live worker waits for ever).
        "worker_health": None if settled else queue_health(GPU_QUEUE),
    }


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _visible_job(request, pk)
    references = list(job.reference_materials.all()) if job.kind == JobKind.TRAINING else []
    return render(request, "web/jobs/detail.html", {**_live_context(request, job), "references": references})


@login_required
@require_GET
def job_live(request: HttpRequest, pk: Any) -> HttpResponse:
    """The part of the job page that changes: polled by htmx until the job settles."""
    job = _visible_job(request, pk)
    return render(request, "web/jobs/_live.html", _live_context(request, job))


@login_required
@no_auditors_on_post
@require_POST
def job_cancel(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _visible_job(request, pk)
    try:
        submission.job_cancel(job=job, by=signed_in(request), reason=request.POST.get("reason", "").strip()[:500])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The job was cancelled.")
    return redirect("web:job", pk=job.pk)


# ----- review player ------------------------------------------------------------------------------------------

def _reviewable_job(request: HttpRequest, pk: Any) -> Job:
    job = _visible_job(request, pk)
    if job.kind != JobKind.AGING or job.output_id is None:
        raise Http404("only an aging job with a rendered output can be reviewed")
    return job


def _frame_count(job: Job) -> int:
    return int(job.params.get("frames") or 0)


def _reviewed(job: Job) -> Reviewed:
    assert job.output is not None
    return Reviewed(plate=job.plate, output=job.output.file, frame_start=int(job.params.get("frame_start", 0)),
                    frames=_frame_count(job), label=f"job {job.pk}")


@login_required
@require_GET
def job_review(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _reviewable_job(request, pk)
    return render(request, "web/jobs/review.html", {"job": job, "player": player_context(
        request, frames=_frame_count(job), frame_start=int(job.params.get("frame_start", 0)),
        fps=float(job.params.get("fps") or 24.0), width=int(job.params.get("width") or 0),
        height=int(job.params.get("height") or 0),
        url_for=lambda source, n: reverse("web:job_frame", args=[job.pk, source, n]))})


@login_required
@require_GET
def job_frame(request: HttpRequest, pk: Any, source: str, n: int) -> HttpResponse:
    """Frame n of the output, the plate frame it was made from, or their difference, as a JPEG. Only for users
    who may see the job (the same selector as the page), and only inside the rendered range."""
    return frame_response(_reviewed(_reviewable_job(request, pk)), source, n)


routes = [
    path("jobs/", job_list, name="jobs"),
    path("jobs/new/training/", job_training_new, name="job_training_new"),
    path("jobs/new/aging/", job_aging_new, name="job_aging_new"),
    path("jobs/preflight/<str:kind>/", job_preflight, name="job_preflight"),
    path("jobs/<uuid:pk>/", job_detail, name="job"),
    path("jobs/<uuid:pk>/live/", job_live, name="job_live"),
    path("jobs/<uuid:pk>/cancel/", job_cancel, name="job_cancel"),
    path("jobs/<uuid:pk>/review/", job_review, name="job_review"),
    path("jobs/<uuid:pk>/frames/<str:source>/<int:n>.jpg", job_frame, name="job_frame"),
]
