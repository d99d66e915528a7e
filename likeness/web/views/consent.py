"""Pages for talent reps and legal: performers, the consent form, grants with their lifecycle actions, version
history, the approval queue, revocation with its impact, decisions and the rule catalogue.

Views stay thin: they read through the selectors (which decide what a user may see; anything else is a 404)
and write only through the consent services (which decide what a user may change; a refusal is a 403 page or
a form error). Auditors read everything they may see and change nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from likeness.access.predicates import (
    may_add_reference_material,
    may_bind_performer,
    may_edit_grant_draft,
    may_see_confidential,
)
from likeness.access.requester import signed_in
from likeness.access.scope import decisions_visible_to, grants_visible_to, outputs_visible_to, performers_visible_to
from likeness.accounts.second_factor import SecondFactorRequired
from likeness.consent import services as consent_services
from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.consent.selectors import (
    CONFIDENTIAL_FIELDS,
    DIFF_FIELDS,
    grant_diff,
    grant_effective_status,
    grant_family,
    grants_awaiting_approval_for,
)
from likeness.jobs.selectors import (
    jobs_cancelled_by_withdrawal,
    jobs_stopped_by_withdrawal,
    models_quarantined_by_withdrawal,
)
from likeness.people.models import Performer
from likeness.policy.catalogue import GROUPS, KIND_WORDS
from likeness.policy.outcomes import Outcome
from likeness.policy.regimes import RULE_PACK_VERSIONS
from likeness.policy.rules import REGISTRY, Rule
from likeness.provenance.models import Output, OutputStatus
from likeness.web import second_factor
from likeness.web.access import for_groups, in_groups, read_only, refuse_auditors
from likeness.web.forms.consent import (
    FIELDSETS,
    MULTI_FIELDS,
    GrantForm,
    RevokeForm,
    SubmitForm,
    add_service_errors,
    code_label,
    flag_invalid,
)

READERS = ("consent", "vfx", "auditor", "admin")
FIELD_LABELS = {name: str(field.label) for name, field in GrantForm.base_fields.items()}
FIELD_LABELS.update({"status": "Status", "document": "Signed contract"})


def writes(doing: str) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """For every route that changes something: talent reps and legal only, never an auditor."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            refuse_auditors(request, doing)
            return view(request, *args, **kwargs)

        return for_groups("consent", doing=doing)(checked)

    return decorate


def _may_write(request: HttpRequest) -> bool:
    return in_groups(request, ["consent"]) and not read_only(request)


def _grant(request: HttpRequest, pk: int) -> ConsentGrant:
    return get_object_or_404(grants_visible_to(request.user).select_related("performer"), pk=pk)


def _performer(request: HttpRequest, pk: int) -> Performer:
    return get_object_or_404(performers_visible_to(request.user), pk=pk)


def _display(name: str, value: Any) -> str:
    """A grant field as words (codes as their labels, yes/no, dates)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) if name in {"territories", "productions"} else code_label(str(v)) for v in value)
    if name == "posthumous_terms":
        return code_label(value)
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _grant_rows(grant: ConsentGrant, confidential: bool) -> list[dict[str, Any]]:
    """Every scope field of the grant, grouped like the form; compensation only for those who may see it."""
    sections = []
    for legend, _help, names in FIELDSETS:
        rows = []
        for name in names:
            if name in CONFIDENTIAL_FIELDS and not confidential:
                continue
            value = [p.title for p in grant.productions.all()] if name == "productions" else getattr(grant, name)
            rows.append({"name": name, "label": FIELD_LABELS[name], "value": _display(name, value)})
        if rows:
            sections.append({"legend": legend, "rows": rows})
    return sections


# --- performers --------------------------------------------------------------------------------------------

@require_GET
@for_groups(*READERS, doing="see performers")
def performers(request: HttpRequest) -> HttpResponse:
    people = performers_visible_to(request.user).prefetch_related("representations__organisation") \
        .order_by("legal_name")
    visible = grants_visible_to(request.user)
    rows = [{"performer": p, "active": visible.filter(performer=p, status=GrantStatus.ACTIVE).count(),
             "pending": visible.filter(performer=p, status=GrantStatus.AWAITING_APPROVAL).count()} for p in people]
    return render(request, "web/consent/performers.html", {"rows": rows})


def _families(request: HttpRequest, performer: Performer) -> list[dict[str, Any]]:
    versions = grants_visible_to(request.user).filter(performer=performer).prefetch_related("productions") \
        .order_by("family", "-version")
    families: dict[str, dict[str, Any]] = {}
    for g in versions:
        fam = families.setdefault(str(g.family), {"family": g.family, "versions": []})
        fam["versions"].append({"grant": g, "status": grant_effective_status(g)})
    out = list(families.values())
    for fam in out:
        # The version in force (active), else the newest one: what the family "is" at a glance.
        fam["current"] = next((v for v in fam["versions"] if v["status"] == "active"), fam["versions"][0])
    return sorted(out, key=lambda f: f["current"]["grant"].created_at, reverse=True)


@require_GET
@for_groups(*READERS, doing="see performers")
def performer(request: HttpRequest, pk: int) -> HttpResponse:
    person = _performer(request, pk)
    return render(request, "web/consent/performer.html", {
        "performer": person,
        "unions": [code_label(u) for u in person.union_memberships],
        "representations": person.representations.select_related("organisation").order_by("kind"),
        "references": person.reference_materials.order_by("year", "title"),
        "families": _families(request, person),
        "decisions": decisions_visible_to(request.user).filter(performer=person).select_related("production")[:10],
        "may_draft": _may_write(request),
        "may_add_reference": not read_only(request) and may_add_reference_material(request.user, person),
    })


# --- the consent form --------------------------------------------------------------------------------------

def _form_page(request: HttpRequest, form: GrantForm, *, performer: Performer, title: str, intro: str,
               action: str, grant: ConsentGrant | None = None, status: int = 200) -> HttpResponse:
    if form.is_bound:
        flag_invalid(form)
    sections = [{"legend": legend, "help": help_text, "fields": [form[n] for n in names if n in form.fields]}
                for legend, help_text, names in FIELDSETS]
    return render(request, "web/consent/grant_form.html", {
        "form": form, "sections": sections, "multi": MULTI_FIELDS, "performer": performer, "grant": grant,
        "title": title, "intro": intro, "action": action, "check_url": reverse("web:grant_check"),
    }, status=status)


def _save_form(request: HttpRequest, form: GrantForm, save: Callable[..., ConsentGrant]) -> ConsentGrant | None:
    """Run the service with the form's data; a ValidationError becomes form errors (PermissionDenied is a 403)."""
    if not form.is_valid():
        return None
    productions, scope = form.scope()
    try:
        return save(productions=productions, by=request.user, **scope)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


@require_http_methods(["GET", "POST"])
@for_groups("consent", doing="draft consent")
def grant_new(request: HttpRequest, pk: int) -> HttpResponse:
    person = _performer(request, pk)
    page: dict[str, Any] = {
        "performer": person, "title": f"New consent for {person}", "action": request.path,
        "intro": "A draft changes nothing until it is submitted with the signed contract and a second person who "
                 "represents the performer approves it."}
    if request.method == "POST":
        refuse_auditors(request, "draft consent")
        form = GrantForm(request.POST)
        grant = _save_form(request, form, lambda **kw: consent_services.grant_draft_create(performer=person, **kw))
        if grant is not None:
            messages.success(request, f"Draft {grant.label} saved. Submit it with the signed contract when ready.")
            return redirect("web:grant", pk=grant.pk)
        return _form_page(request, form, status=400, **page)
    form = GrantForm(initial={"term_start": timezone.localdate(), "posthumous_terms": "continues"})
    return _form_page(request, form, **page)


@require_http_methods(["GET", "POST"])
@for_groups("consent", doing="edit consent drafts")
def grant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _grant(request, pk)
    if grant.status != GrantStatus.DRAFT:
        messages.error(request, f"{grant.label} is {grant.get_status_display().lower()}: only drafts can be "
                                "edited. Amend it to start a new version.")
        return redirect("web:grant", pk=grant.pk)
    confidential = may_see_confidential(request.user, grant)
    page: dict[str, Any] = {"performer": grant.performer, "grant": grant, "title": f"Edit draft {grant.label}",
                            "action": request.path, "intro": "Changes are recorded in the audit trail."}
    if request.method == "POST":
        refuse_auditors(request, "edit consent drafts")
        form = GrantForm(request.POST, confidential=confidential)
        saved = _save_form(request, form, lambda **kw: consent_services.grant_draft_update(grant=grant, **kw))
        if saved is not None:
            messages.success(request, f"Draft {saved.label} updated.")
            return redirect("web:grant", pk=saved.pk)
        return _form_page(request, form, status=400, **page)
    return _form_page(request, GrantForm(initial=GrantForm.initial_from(grant), confidential=confidential), **page)


@require_http_methods(["GET", "POST"])
@for_groups("consent", doing="amend consent")
def grant_amend(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _grant(request, pk)
    if grant.status != GrantStatus.ACTIVE:
        messages.error(request, f"{grant.label} is {grant.get_status_display().lower()}: only an active grant can "
                                "be amended.")
        return redirect("web:grant", pk=grant.pk)
    confidential = may_see_confidential(request.user, grant)
    page: dict[str, Any] = {
        "performer": grant.performer, "grant": grant, "title": f"Amend {grant.label}", "action": request.path,
        "intro": f"This starts version {grant.version + 1} as a draft. Version {grant.version} stays in force until "
                 "the amendment is approved."}
    if request.method == "POST":
        refuse_auditors(request, "amend consent")
        form = GrantForm(request.POST, confidential=confidential)
        saved = _save_form(request, form, lambda **kw: consent_services.grant_amend(grant=grant, **kw))
        if saved is not None:
            messages.success(request, f"Amendment {saved.label} drafted. Submit it with the signed contract.")
            return redirect("web:grant", pk=saved.pk)
        return _form_page(request, form, status=400, **page)
    return _form_page(request, GrantForm(initial=GrantForm.initial_from(grant), confidential=confidential), **page)


@require_POST
@writes("draft consent")
def grant_check(request: HttpRequest) -> HttpResponse:
    """Inline validation (htmx, as a person leaves a field): the whole form is validated so cross-field checks
    (an inverted age range) are seen, and the errors of the one field named in `_field` come back as text."""
    name = request.POST.get("_field", "")
    form = GrantForm(request.POST)
    if name not in form.fields:
        return HttpResponse("", status=400)
    form.is_valid()
    errors = form.errors.get(name)
    return HttpResponse(" ".join(escape(e) for e in errors) if errors else "", content_type="text/html; charset=utf-8")


# --- one grant: page, lifecycle actions, document ----------------------------------------------------------

def _grant_page(request: HttpRequest, grant: ConsentGrant, *, submit_form: SubmitForm | None = None,
                status: int = 200) -> HttpResponse:
    confidential = may_see_confidential(request.user, grant)
    writer = _may_write(request)
    effective = grant_effective_status(grant)
    # Each action is offered from the check its service applies: a button the server would refuse is either not
    # shown, or shown disabled with the service's reason beside it.
    edits_draft = writer and grant.status == GrantStatus.DRAFT and may_edit_grant_draft(request.user, grant)
    awaiting = writer and grant.status == GrantStatus.AWAITING_APPROVAL
    approve_refusal = consent_services.grant_approve_refusal(grant=grant, by=signed_in(request)) if awaiting else None
    amend_refusal = (consent_services.grant_amend_refusal(grant=grant, by=signed_in(request))
                     if writer and effective == GrantStatus.ACTIVE else None)
    if submit_form is not None:
        flag_invalid(submit_form)
    return render(request, "web/consent/grant.html", {
        "grant": grant, "effective": effective, "confidential": confidential,
        "sections": _grant_rows(grant, confidential),
        "versions": grant_family(grant).filter(pk__in=grants_visible_to(request.user).values("pk")),
        "decisions": decisions_visible_to(request.user).filter(grants=grant).select_related("production")[:10],
        "may_edit": edits_draft,
        "may_approve": awaiting and approve_refusal is None,
        "approve_refusal": approve_refusal,
        "second_factor": second_factor.state(request),
        "may_amend": writer and effective == GrantStatus.ACTIVE and amend_refusal is None,
        "amend_refusal": amend_refusal,
        "may_revoke": writer and grant.status == GrantStatus.ACTIVE and may_bind_performer(request.user, grant.performer),
        "submit_form": submit_form or (SubmitForm() if edits_draft else None),
    }, status=status)


@require_GET
@for_groups(*READERS, doing="see consent grants")
def grant(request: HttpRequest, pk: int) -> HttpResponse:
    return _grant_page(request, _grant(request, pk))


@require_POST
@writes("submit consent")
def grant_submit(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _grant(request, pk)
    form = SubmitForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["document"]
        try:
            grant = consent_services.grant_submit(grant=grant, document=upload, document_name=upload.name,
                                                  document_size=upload.size, by=signed_in(request),
                                                  signed_on=form.cleaned_data.get("signed_on"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{grant.label} submitted: it now waits for a second person's approval.")
            return redirect("web:grant", pk=grant.pk)
    return _grant_page(request, grant, submit_form=form, status=400)


@require_POST
@writes("approve consent")
def grant_approve(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _grant(request, pk)
    refusal = consent_services.grant_approve_refusal(grant=grant, by=signed_in(request))
    if refusal:
        # Refused before the code is asked for: no second factor makes the drafter a second person. Someone who
        # does not act for the performer is refused outright (403), as the service would.
        if not may_bind_performer(request.user, grant.performer):
            raise PermissionDenied(f"Not approved: {refusal}.")
        messages.error(request, "Not approved: " + refusal)
        return redirect("web:grant", pk=grant.pk)
    problem = second_factor.prove(request)
    if problem:
        messages.error(request, "Not approved: " + problem)
        return redirect("web:grant", pk=grant.pk)
    try:
        grant = consent_services.grant_approve(grant=grant, by=signed_in(request))
    except ValidationError as exc:
        # The service's refusal, in its words (e.g. "activation needs a second person: you drafted this grant").
        messages.error(request, "Not approved: " + "; ".join(exc.messages))
    except SecondFactorRequired as exc:
        messages.error(request, f"Not approved: {exc}.")
    else:
        messages.success(request, f"{grant.label} approved: it is active now.")
    return redirect("web:grant", pk=grant.pk)


@require_GET
@for_groups(*READERS, doing="download consent contracts")
def grant_document(request: HttpRequest, pk: int) -> FileResponse:
    grant = _grant(request, pk)
    if not may_see_confidential(request.user, grant):
        raise PermissionDenied("Signed contracts are confidential: only the performer's reps and counsel, legal of "
                               "the studio named in the consent, and auditors may open them.")
    if not grant.document:
        raise Http404("no signed document")
    return FileResponse(grant.document.open("rb"), content_type="application/pdf", as_attachment=True,
                        filename=f"consent-{grant.family}-v{grant.version}.pdf")


# --- history and differences -------------------------------------------------------------------------------

@require_GET
@for_groups(*READERS, doing="see consent history")
def grant_history(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _grant(request, pk)
    versions = list(grant_family(grant).filter(pk__in=grants_visible_to(request.user).values("pk"))
                    .prefetch_related("productions"))
    by_pk = {g.pk: g for g in versions}
    try:
        a = by_pk.get(int(request.GET.get("a", 0)))
        b = by_pk.get(int(request.GET.get("b", 0)))
    except ValueError:
        a = b = None
    if a is None or b is None:
        # Default: this version against the one before it (what the amendment changed).
        index = next(i for i, g in enumerate(versions) if g.pk == grant.pk)
        b = grant
        a = versions[index - 1] if index > 0 else (versions[index + 1] if index + 1 < len(versions) else grant)
    old, new = sorted([a, b], key=lambda g: g.version)
    confidential = may_see_confidential(request.user, grant)
    changed = {r["field"] for r in grant_diff(old, new, include_confidential=confidential)}
    rows = []
    for name in ("productions", *DIFF_FIELDS):
        if name in CONFIDENTIAL_FIELDS and not confidential:
            continue
        values = [[p.title for p in g.productions.all()] if name == "productions" else getattr(g, name)
                  for g in (old, new)]
        rows.append({"label": FIELD_LABELS.get(name, name), "old": _display(name, values[0]),
                     "new": _display(name, values[1]), "changed": name in changed})
    return render(request, "web/consent/history.html", {
        "grant": grant, "versions": [{"grant": g, "status": grant_effective_status(g)} for g in versions],
        "old": old, "new": new, "rows": rows, "changed_count": len(changed),
        "only_changed": request.GET.get("only") == "changed",
    })


# --- approvals ---------------------------------------------------------------------------------------------

@require_GET
@for_groups("consent", doing="approve consent and outputs")
def approvals(request: HttpRequest) -> HttpResponse:
    return render(request, "web/consent/approvals.html", {
        "grants": grants_awaiting_approval_for(request.user).select_related("performer", "drafted_by")
        .prefetch_related("productions").order_by("submitted_at"),
        "outputs": outputs_visible_to(request.user).filter(status=OutputStatus.AWAITING_APPROVAL)
        .order_by("created_at"),
    })


# --- revocation --------------------------------------------------------------------------------------------

def revocation_impact(grant: ConsentGrant) -> dict[str, Any]:
    """What revoking `grant` does, read the way likeness.jobs.receivers and provenance's listener act on the
    grant_withdrawn signal: queued/submitted jobs under it are cancelled, running ones stop at their next gate
    check, training/ready models are quarantined (weights deleted when the grant says so), unreleased outputs of
    the family are withdrawn and released ones marked, open amendments are withdrawn."""
    outputs = Output.objects.filter(grant__family=grant.family, consent_revoked_at__isnull=True).order_by("created_at")
    return {
        "cancelled": list(jobs_cancelled_by_withdrawal(grant).select_related("production", "likeness_model")
                          .order_by("created_at")),
        "stopped": list(jobs_stopped_by_withdrawal(grant).select_related("production").order_by("created_at")),
        "models": list(models_quarantined_by_withdrawal(grant).order_by("created_at")),
        "destroy": grant.destroy_models_on_revocation,
        "outputs_withdrawn": list(outputs.filter(status__in=[OutputStatus.AWAITING_APPROVAL, OutputStatus.APPROVED])),
        "outputs_marked": list(outputs.filter(status=OutputStatus.RELEASED)),
        "amendments": list(ConsentGrant.objects.filter(
            family=grant.family, status__in=[GrantStatus.DRAFT, GrantStatus.AWAITING_APPROVAL])),
    }


@require_http_methods(["GET", "POST"])
@for_groups("consent", doing="revoke consent")
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _grant(request, pk)
    if grant.status != GrantStatus.ACTIVE:
        messages.error(request, f"{grant.label} is {grant.get_status_display().lower()}: only an active grant can be "
                                "revoked.")
        return redirect("web:grant", pk=grant.pk)
    form = RevokeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        refuse_auditors(request, "revoke consent")
        problem = second_factor.prove(request)
        if problem:
            form.add_error(None, problem)
        if form.is_valid():
            try:
                grant = consent_services.grant_revoke(grant=grant, by=signed_in(request),
                                                      reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            except SecondFactorRequired as exc:
                form.add_error(None, f"{exc}.")
            else:
                messages.success(request, f"{grant.label} revoked. Jobs and models under it were stopped and "
                                          "quarantined.")
                return redirect("web:grant", pk=grant.pk)
        flag_invalid(form)
        status = 400
    return render(request, "web/consent/revoke.html",
                  {"grant": grant, "form": form, "impact": revocation_impact(grant),
                   "manages": may_bind_performer(request.user, grant.performer),
                   "second_factor": second_factor.state(request)}, status=status)


# --- decisions and rules -----------------------------------------------------------------------------------

@require_GET
@for_groups("consent", "vfx", "auditor", doing="see gate decisions")
def decisions(request: HttpRequest) -> HttpResponse:
    qs = decisions_visible_to(request.user).select_related("performer", "production")
    outcome = request.GET.get("outcome", "")
    if outcome in {o.value for o in Outcome}:
        qs = qs.filter(outcome=outcome)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/consent/decisions.html",
                  {"page": page, "outcome": outcome, "outcomes": [o.value for o in Outcome]})


@require_GET
@for_groups("consent", "vfx", "auditor", doing="see gate decisions")
def decision(request: HttpRequest, pk: Any) -> HttpResponse:
    d = get_object_or_404(decisions_visible_to(request.user).select_related("performer", "production",
                                                                            "requested_by"), pk=pk)
    # The line's source is the one recorded when the gate decided; the link to the official text is today's.
    lines = [{**line, "title": getattr(REGISTRY.get(line.get("rule_id", "")), "title", ""),
              "source_url": getattr(REGISTRY.get(line.get("rule_id", "")), "source_url", "")} for line in d.lines]
    nearest = None
    if d.nearest_grant:
        grant_id = d.nearest_grant.get("grant_id")
        visible = grants_visible_to(request.user).filter(pk=int(grant_id)).first() if str(grant_id).isdigit() else None
        nearest = {**d.nearest_grant, "grant": visible}
    return render(request, "web/consent/decision.html", {
        "d": d, "lines": lines, "nearest": nearest,
        "grants": grants_visible_to(request.user).filter(decisions=d),
    })


def _rule_group(rule: Rule) -> int:
    for index, (_title, regimes) in enumerate(GROUPS):
        if rule.regimes & regimes:
            return index
    return len(GROUPS)


@require_GET
@login_required
def rules(request: HttpRequest) -> HttpResponse:
    ordered = sorted(REGISTRY.values(), key=lambda r: (_rule_group(r), r.id))
    groups = []
    for index, (title, _regimes) in enumerate((*GROUPS, ("Other", set()))):
        members = [{"rule": r, "regimes": sorted(r.regimes), "kind": KIND_WORDS.get(r.source_kind, r.source_kind)}
                   for r in ordered if _rule_group(r) == index]
        if members:
            groups.append({"title": title, "rules": members})
    return render(request, "web/consent/rules.html",
                  {"groups": groups, "versions": sorted(RULE_PACK_VERSIONS.items()), "count": len(REGISTRY)})


routes = [
    path("performers/", performers, name="performers"),
    path("performers/<int:pk>/", performer, name="performer"),
    path("performers/<int:pk>/consent/new/", grant_new, name="grant_new"),
    path("grants/check/", grant_check, name="grant_check"),
    path("grants/<int:pk>/", grant, name="grant"),
    path("grants/<int:pk>/edit/", grant_edit, name="grant_edit"),
    path("grants/<int:pk>/submit/", grant_submit, name="grant_submit"),
    path("grants/<int:pk>/approve/", grant_approve, name="grant_approve"),
    path("grants/<int:pk>/amend/", grant_amend, name="grant_amend"),
    path("grants/<int:pk>/revoke/", grant_revoke, name="grant_revoke"),
    path("grants/<int:pk>/document/", grant_document, name="grant_document"),
    path("grants/<int:pk>/history/", grant_history, name="grant_history"),
    path("approvals/", approvals, name="approvals"),
    path("decisions/", decisions, name="decisions"),
    path("decisions/<uuid:pk>/", decision, name="decision"),
    path("rules/", rules, name="rules"),
]
