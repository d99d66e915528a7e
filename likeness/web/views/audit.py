"""Auditor and output pages: verify any file, the output registry and one output's page (review, evidence bundle,
file), the audit log browser, and per-performer usage reports (page, CSV, PDF).

Views stay thin: they read through the selectors (what a user may see) and write only through the provenance
services (which decide what a user may change). Auditors are read-only: every POST that changes something refuses
them; the upload forms (verify, registry lookup) only read and stay open to them."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_GET, require_POST

from likeness.access.predicates import manages_performer, may_approve_output, may_read_audit_trail, may_release_job
from likeness.access.requester import signed_in
from likeness.access.scope import (
    audit_events_visible_to,
    outputs_visible_to,
    performers_managed_by,
    performers_visible_to,
)
from likeness.accounts.second_factor import SecondFactorRequired
from likeness.audit.models import AuditEvent
from likeness.audit.selectors import audit_chain_verify, audit_events_for
from likeness.consent.selectors import grant_effective_status
from likeness.jobs.models import Job, JobKind, JobState
from likeness.jobs.release import job_release
from likeness.organisations.models import Role
from likeness.people.models import Performer
from likeness.provenance.bundle import bundle_build
from likeness.provenance.models import Output, OutputStatus
from likeness.provenance.selectors import outputs_by_sha256, registry_lookup_upload, verify_upload
from likeness.provenance.services import output_approve, output_decline
from likeness.reports import usage as usage_reports
from likeness.web import second_factor
from likeness.web.access import for_groups, read_only, refuse_auditors, request_reach
from likeness.web.forms.audit import AuditLogFilterForm, ReviewForm, Sha256SearchForm, UploadForm, UsageForm
from likeness.web.views.review import Reviewed, frame_response, player_context

EVENTS_PER_PAGE = 50
OUTPUTS_PER_PAGE = 25
# A performer can have thousands of chunk re-checks; the page shows the newest, the CSV and PDF hold every one.
USAGE_PAGE_DECISIONS = 500


# --- access ---------------------------------------------------------------------------------------------------

def _is_auditor(request: HttpRequest) -> bool:
    # Same rule as the API's IsAuditor (operators included), so a page never shows what the API would refuse.
    reach = request_reach(request)
    return reach.operator or Role.AUDITOR in reach.roles


def _require_auditor(request: HttpRequest, doing: str) -> None:
    if not _is_auditor(request):
        raise PermissionDenied(f"Only auditors may {doing}.")


def _may_take_bundle(request: HttpRequest, output: Output) -> bool:
    """The API's rule for evidence bundles: auditors under an engagement, operators, the performer's reps and
    legal (the output itself is already one the user may see)."""
    reach = request_reach(request)
    return reach.operator or bool(reach.engagement_ids) or manages_performer(reach, output.performer)


def _job_url(job_ref: str | None) -> str | None:
    """A link to the job page when the reference is a job id (outputs registered outside a job have none)."""
    try:
        return reverse("web:job", args=[uuid.UUID(str(job_ref))]) if job_ref else None
    except (ValueError, NoReverseMatch):
        return None


def _grant_url(grant_id: Any) -> str | None:
    try:
        return reverse("web:grant", args=[int(grant_id)]) if grant_id is not None else None
    except (ValueError, TypeError, NoReverseMatch):
        return None


# --- verification ---------------------------------------------------------------------------------------------

def _manifest_tree(manifests: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The chain as a tree: the active manifest, each ingredient, and the ingredient's own manifest under it.
    `manifests` comes active first (verification.report_from_store); a label seen on the path is not expanded
    again, so a malicious self-referencing chain cannot recurse forever."""
    if not manifests:
        return None
    by_label = {m["label"]: m for m in manifests}

    def node(label: str, path_labels: frozenset[str]) -> dict[str, Any]:
        manifest = by_label[label]
        here = path_labels | {label}
        ingredients = []
        for ingredient in manifest.get("ingredients") or []:
            child = ingredient.get("active_manifest")
            ingredients.append({"ingredient": ingredient,
                                "manifest": node(child, here) if child in by_label and child not in here else None})
        return {"manifest": manifest, "ingredients": ingredients}

    return node(manifests[0]["label"], frozenset())


def _linked_record_urls(platform: dict[str, Any] | None, request: HttpRequest) -> dict[str, str | None]:
    if not platform:
        return {}
    grant, output = platform.get("grant") or {}, platform.get("output") or {}
    output_url = None
    if output.get("id") and outputs_visible_to(request.user).filter(pk=output["id"]).exists():
        output_url = reverse("web:output", args=[output["id"]])
    return {"grant": _grant_url(grant.get("id")), "job": _job_url(output.get("job")), "output": output_url}


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Upload any file: its Content Credentials state, each code explained, the manifest chain, and the records
    the platform holds for it as they stand now (is the consent still active?)."""
    _require_auditor(request, "verify files on this page")
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            with upload.open("rb") as fh:
                result = verify_upload(fh, user=request.user, name=upload.name)
            context.update(result=result, file_name=upload.name, tree=_manifest_tree(result.get("manifests") or []),
                           links=_linked_record_urls(result.get("platform"), request))
        else:
            status = 400
    else:
        form = UploadForm()
    context["form"] = form
    return render(request, "web/audit/verify.html", context, status=status)


# --- the output registry --------------------------------------------------------------------------------------

def _lookup_upload(request: HttpRequest, upload: Any) -> dict[str, Any]:
    found = registry_lookup_upload(request.user, upload)
    found["file_name"] = upload.name
    return found


@login_required
def outputs(request: HttpRequest) -> HttpResponse:
    """Search by SHA-256 (GET), or upload a file to look it up (POST, read-only: auditors too)."""
    search = Sha256SearchForm(request.GET or None)
    lookup_form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    status, lookup = 200, None
    if request.method == "POST":
        if lookup_form.is_valid():
            lookup = _lookup_upload(request, lookup_form.cleaned_data["file"])
        else:
            status = 400
    qs = outputs_visible_to(request.user)
    wanted_status = request.GET.get("status", "")
    if wanted_status in OutputStatus.values:
        qs = qs.filter(status=wanted_status)
    searched = False
    if search.is_bound and search.is_valid() and search.cleaned_data["sha256"]:
        qs, searched = outputs_by_sha256(search.cleaned_data["sha256"], qs), True
    page = Paginator(qs.order_by("-created_at"), OUTPUTS_PER_PAGE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(request, "web/audit/outputs.html", {
        "search": search, "lookup_form": lookup_form, "lookup": lookup, "page": page, "searched": searched,
        "statuses": OutputStatus.choices, "wanted_status": wanted_status, "query": keep.urlencode(),
    }, status=status)


def _output_job(output: Output) -> Job | None:
    """The aging job that rendered the output (the player needs its plate and frame range), if it still exists."""
    if not output.job_ref:
        return None
    try:
        return Job.objects.select_related("production").filter(pk=output.job_ref, kind=JobKind.AGING).first()
    except (ValueError, ValidationError):
        return None  # a job reference from elsewhere (not one of this platform's jobs)


def _player(request: HttpRequest, output: Output, job: Job | None) -> dict[str, Any] | None:
    if job is None or not job.plate or not int(job.params.get("frames") or 0):
        return None
    return player_context(
        request, frames=int(job.params["frames"]), frame_start=int(job.params.get("frame_start", 0)),
        fps=float(job.params.get("fps") or 24.0), width=int(job.params.get("width") or 0),
        height=int(job.params.get("height") or 0),
        url_for=lambda source, n: reverse("web:output_frame", args=[output.pk, source, n]))


def _release_offer(request: HttpRequest, output: Output, job: Job | None) -> tuple[bool, str]:
    """(offer the button, why it is disabled). Shown only to those the release service accepts
    (may_release_job); disabled, with the reason, while the output is not yet approved."""
    if job is None or read_only(request) or not may_release_job(request.user, job):
        return False, ""
    if output.status == OutputStatus.AWAITING_APPROVAL:
        return True, ("The performer's side (their talent rep or legal) must approve it first: release needs their "
                      "approval.")
    if output.status == OutputStatus.APPROVED and job.state == JobState.AWAITING_APPROVAL:
        return True, ""
    return False, ""


def _output_context(request: HttpRequest, output: Output, review_form: ReviewForm | None = None,
                    credentials: dict[str, Any] | None = None) -> dict[str, Any]:
    # The predicate output_approve and output_decline enforce: only then is the review form offered.
    manages = may_approve_output(request.user, output)
    can_review = (manages and not read_only(request)
                  and output.status in (OutputStatus.AWAITING_APPROVAL, OutputStatus.APPROVED))
    grant = output.grant
    job = _output_job(output)
    offer_release, release_blocked = _release_offer(request, output, job)
    form = review_form or ReviewForm(initial={"watched_sha256": output.sha256})
    return {
        "output": output,
        "grant": grant, "grant_status_now": grant_effective_status(grant), "grant_url": _grant_url(grant.pk),
        "job_url": _job_url(output.job_ref),
        "history": audit_events_for(object_type="provenance.output", object_id=str(output.pk)),
        "can_review": can_review,
        "can_approve": can_review and output.status == OutputStatus.AWAITING_APPROVAL,
        "second_factor": second_factor.state(request),
        "review_form": form,
        "player": _player(request, output, job), "target_age": (job.params.get("target_age") if job else None),
        "offer_release": offer_release, "release_blocked": release_blocked,
        "credentials": credentials,
        "can_bundle": output.status == OutputStatus.RELEASED and bool(output.manifest_label)
        and _may_take_bundle(request, output),
        "file_label": "Download the signed file" if output.status == OutputStatus.RELEASED
        else "Download the rendered file (unsigned, for review)",
    }


def _credentials(request: HttpRequest, output: Output) -> dict[str, Any] | None:
    """The released file's Content Credentials, read back from storage by the same verifier as the Verify page."""
    if output.status != OutputStatus.RELEASED or not output.file:
        return None
    with output.file.open("rb") as handle:
        result = verify_upload(handle, user=request.user, name=Path(output.file.name or "").name)
    return {"result": result, "file_name": Path(output.file.name or "").name,
            "tree": _manifest_tree(result.get("manifests") or []),
            "links": _linked_record_urls(result.get("platform"), request)}


@login_required
@require_GET
def output(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    record = get_object_or_404(outputs_visible_to(request.user).select_related("release_decision"), pk=pk)
    # ?check=1 reads the signed file's credentials back (after a release, and on request): verifying costs a read
    # of the whole file, so it is not done on every visit.
    credentials = _credentials(request, record) if request.GET.get("check") else None
    return render(request, "web/audit/output.html", _output_context(request, record, credentials=credentials))


@login_required
@require_POST
def output_review(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Approve or decline: the service checks who may (the performer's reps and legal) and that a note is given."""
    refuse_auditors(request, "approve or decline outputs")
    record = get_object_or_404(outputs_visible_to(request.user), pk=pk)
    form = ReviewForm(request.POST)
    problem = second_factor.prove(request)
    if problem:
        form.add_error(None, problem)
    if form.is_valid():
        approve = form.cleaned_data["verdict"] == "approve"
        try:
            if approve:
                output_approve(output=record, by=signed_in(request), note=form.cleaned_data["note"],
                               watched_sha256=form.cleaned_data["watched_sha256"])
            else:
                output_decline(output=record, by=signed_in(request), note=form.cleaned_data["note"])
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error("note" if field == "note" else None, problems)
        except SecondFactorRequired as exc:
            form.add_error(None, f"{exc}.")
        else:
            messages.success(request, "Output approved for release." if approve
                             else "Output declined: it will not be released.")
            return redirect("web:output", pk=record.pk)
    record.refresh_from_db()
    return render(request, "web/audit/output.html", _output_context(request, record, form), status=400)


@login_required
@require_POST
def output_release(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Sign and release: the jobs service asks the gate again, now, signs, records the release and the audit
    event. A refusal (the gate no longer allows it, no approval, signing failed) is shown with its reason."""
    refuse_auditors(request, "release outputs")
    record = get_object_or_404(outputs_visible_to(request.user), pk=pk)
    job = _output_job(record)
    if job is None:
        raise Http404("this output has no aging job on this platform to release it through")
    try:
        job_release(job=job, by=signed_in(request))
    except ValidationError as exc:
        messages.error(request, "Not released: " + " ".join(exc.messages))
        return redirect("web:output", pk=record.pk)
    messages.success(request, "Signed and released. Its Content Credentials, read back from the stored file, are "
                              "below.")
    return redirect(reverse("web:output", args=[record.pk]) + "?check=1#credentials")


@login_required
@require_GET
def output_frame(request: HttpRequest, pk: uuid.UUID, source: str, n: int) -> HttpResponse:
    """The review player's frames on the output's page: for whoever may see the output (the performer's side
    reviews it there before approving), from the output's own file and the plate of the job that rendered it."""
    record = get_object_or_404(outputs_visible_to(request.user), pk=pk)
    job = _output_job(record)
    if job is None or not job.plate or not record.file:
        raise Http404("this output has no plate on this platform to review it against")
    return frame_response(Reviewed(plate=job.plate, output=record.file,
                                   frame_start=int(job.params.get("frame_start", 0)),
                                   frames=int(job.params.get("frames") or 0), label=f"output {record.pk}"), source, n)


@login_required
@require_GET
def output_bundle(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The evidence bundle, built by the same code as the API's bundle action."""
    record = get_object_or_404(outputs_visible_to(request.user), pk=pk)
    if not _may_take_bundle(request, record):
        raise PermissionDenied("Evidence bundles are for auditors and the performer's representatives.")
    try:
        data = bundle_build(output=record)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("web:output", pk=record.pk)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="evidence-{record.pk}.zip"'
    return response


@login_required
@require_GET
def output_file(request: HttpRequest, pk: uuid.UUID) -> HttpResponseBase:
    """The output's current file: the signed file once released, before that the render the reps review. Who may
    see the record (outputs_visible_to) may take its file: the performer's side, the studio, auditors."""
    record = get_object_or_404(outputs_visible_to(request.user), pk=pk)
    if not record.file.name or not record.file.storage.exists(record.file.name):
        raise Http404("the stored file is missing")
    kind = "signed" if record.status == OutputStatus.RELEASED else "rendered-unsigned"
    return FileResponse(record.file.open("rb"), as_attachment=True, content_type=record.mime,
                        filename=f"output-{str(record.pk)[:8]}-{kind}{Path(record.file.name).suffix}")


# --- audit log ------------------------------------------------------------------------------------------------

def _events_matching(request: HttpRequest, form: AuditLogFilterForm | None) -> QuerySet[AuditEvent]:
    """Newest first, of the events this user's engagements cover. `form`: a valid filter form, or None."""
    qs = audit_events_visible_to(request_reach(request)).order_by("-seq")
    if form is None:
        return qs
    data = form.cleaned_data
    for field, lookup in (("action", "action"), ("object_type", "object_type"), ("object_id", "object_id"),
                          ("actor", "actor_label")):
        if data.get(field):
            qs = qs.filter(**{lookup: data[field].strip()})
    lower, upper = form.range_bounds()
    if lower:
        qs = qs.filter(at__gte=lower)
    if upper:
        qs = qs.filter(at__lt=upper)
    return qs


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    if not may_read_audit_trail(request_reach(request)):
        raise PermissionDenied("Only auditors under an audit engagement in force (or operators) may browse the "
                               "audit log.")
    actions = list(audit_events_visible_to(request_reach(request)).values_list("action", flat=True).distinct()
                   .order_by("action"))
    form = AuditLogFilterForm(request.GET or None, actions=actions)
    page = None
    # Invalid filters (an inverted date range) show the error and no events, never an unfiltered list that
    # could be mistaken for the filtered answer.
    if not form.is_bound or form.is_valid():
        events = _events_matching(request, form if form.is_bound else None)
        page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    # The whole chain is walked on each visit: the answer must be about the table as it is now, not cached.
    chain = audit_chain_verify(every_checkpoint=False)  # the command checks every checkpoint's signature
    total = audit_events_visible_to(request_reach(request)).count()
    return render(request, "web/audit/audit_log.html", {
        "form": form, "page": page, "chain": chain, "query": keep.urlencode(), "total": total,
    })


# --- usage reports --------------------------------------------------------------------------------------------

def _usage_performers(request: HttpRequest) -> QuerySet[Performer]:
    """Auditors: the performers their engagements cover. Reps and legal: those their organisations represent."""
    if _is_auditor(request):
        return performers_visible_to(request.user)
    return performers_managed_by(request.user)


@for_groups("auditor", "consent", doing="read usage reports")
@require_GET
def usage(request: HttpRequest) -> HttpResponse:
    performers = _usage_performers(request)
    chosen = request.GET.get("performer")
    if chosen:
        form = UsageForm(request.GET, performers=performers)
        if form.is_valid():
            return redirect("web:usage_report", pk=form.cleaned_data["performer"].pk)
        # A performer that exists but is not this user's is not found, exactly as the report page answers.
        if chosen.isdigit() and Performer.objects.filter(pk=chosen).exists():
            raise Http404("no such performer among those you may report on")
        status = 400
    else:
        form, status = UsageForm(performers=performers), 200
    return render(request, "web/audit/usage.html", {"form": form, "report": None}, status=status)


def _performer_for_report(request: HttpRequest, pk: int) -> Performer:
    return get_object_or_404(_usage_performers(request), pk=pk)


@for_groups("auditor", "consent", doing="read usage reports")
@require_GET
def usage_report_page(request: HttpRequest, pk: int) -> HttpResponse:
    performers = _usage_performers(request)
    performer = _performer_for_report(request, pk)
    report = usage_reports.usage_report(request.user, performer)
    newest = list(reversed(report["decisions"]))[:USAGE_PAGE_DECISIONS]
    return render(request, "web/audit/usage.html", {
        "form": UsageForm(initial={"performer": performer.pk}, performers=performers), "report": report,
        "decisions_shown": newest, "decisions_cut": len(report["decisions"]) > USAGE_PAGE_DECISIONS,
        "page_limit": USAGE_PAGE_DECISIONS,
    })


@for_groups("auditor", "consent", doing="read usage reports")
@require_GET
def usage_csv(request: HttpRequest, pk: int) -> HttpResponse:
    performer = _performer_for_report(request, pk)
    response = HttpResponse(usage_reports.usage_csv(usage_reports.usage_report(request.user, performer)),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="usage-performer-{performer.pk}.csv"'
    return response


@for_groups("auditor", "consent", doing="read usage reports")
@require_GET
def usage_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    performer = _performer_for_report(request, pk)
    data = usage_reports.usage_pdf(usage_reports.usage_report(request.user, performer))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="usage-performer-{performer.pk}.pdf"'
    return response


routes = [
    path("verify/", verify, name="verify"),
    path("outputs/", outputs, name="outputs"),
    path("outputs/<uuid:pk>/", output, name="output"),
    path("outputs/<uuid:pk>/review/", output_review, name="output_review"),
    path("outputs/<uuid:pk>/release/", output_release, name="output_release"),
    path("outputs/<uuid:pk>/frames/<str:source>/<int:n>.jpg", output_frame, name="output_frame"),
    path("outputs/<uuid:pk>/bundle/", output_bundle, name="output_bundle"),
    path("outputs/<uuid:pk>/file/", output_file, name="output_file"),
    path("audit-log/", audit_log, name="audit_log"),
    path("usage/", usage, name="usage"),
    path("usage/<int:pk>/", usage_report_page, name="usage_report"),
    path("usage/<int:pk>/report.csv", usage_csv, name="usage_csv"),
    path("usage/<int:pk>/report.pdf", usage_pdf, name="usage_pdf"),
]
