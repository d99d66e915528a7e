"""Pages for a studio's staff: its productions, and for its legal and admins, creating and editing them and
setting or clearing the labour-action flag.

Views stay thin: they read through likeness.access.scope (another studio's production is a 404) and write only
through the production services, which enforce may_change_production (a refusal is a 403 page) and validate
(their ValidationErrors are shown on the form). Auditors change nothing.
"""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from likeness.access.predicates import (
    PRODUCTION_EDITORS,
    may_change_production,
    may_create_production,
    may_see_productions,
)
from likeness.access.requester import signed_in
from likeness.access.scope import productions_of_studio, studios_of
from likeness.audit.selectors import audit_events_for
from likeness.productions import services as production_services
from likeness.productions.models import Production
from likeness.web.access import read_only, refuse_auditors
from likeness.web.forms.consent import add_service_errors, code_label, flag_invalid
from likeness.web.forms.productions import (
    MULTI_FIELDS,
    PACK_WORDS,
    LabourActionForm,
    ProductionForm,
    agreement_label,
)

NOT_STUDIO_STAFF = "Only the staff of a studio (legal, admins, VFX) see its productions."


def _require_studio_staff(request: HttpRequest) -> None:
    if not may_see_productions(request.user):
        raise PermissionDenied(NOT_STUDIO_STAFF)


def _production(request: HttpRequest, pk: int) -> Production:
    """One of the user's studios' productions; any other is not found (its title is none of their business)."""
    _require_studio_staff(request)
    return get_object_or_404(productions_of_studio(request.user).select_related("studio"), pk=pk)


def _require_editor(request: HttpRequest, production: Production, doing: str) -> None:
    refuse_auditors(request, doing)
    if not may_change_production(request.user, production.studio_id):
        raise PermissionDenied(f"Only legal and admins of {production.studio} may {doing}.")


def _facts(production: Production) -> list[tuple[str, str]]:
    return [
        ("Studio", str(production.studio)),
        ("Union agreement", agreement_label(production.agreement)),
        ("Jurisdictions", " ".join(production.jurisdictions) or "None named"),
        ("Release territories", " ".join(production.release_territories) or "None named"),
        ("Release media", ", ".join(code_label(m) for m in production.release_media) or "None named"),
        ("Optional rule packs", ", ".join(PACK_WORDS.get(p, p) for p in production.extra_rule_packs) or "None"),
    ]


@require_GET
@login_required
def production_list(request: HttpRequest) -> HttpResponse:
    _require_studio_staff(request)
    rows = productions_of_studio(request.user).select_related("studio").order_by("studio__name", "title")
    return render(request, "web/productions/list.html", {
        "rows": [{"production": p, "agreement": agreement_label(p.agreement)} for p in rows],
        "may_create": may_create_production(request.user),
    })


@require_GET
@login_required
def production_detail(request: HttpRequest, pk: int) -> HttpResponse:
    production = _production(request, pk)
    return _detail_page(request, production)


def _detail_page(request: HttpRequest, production: Production, *, labour_form: LabourActionForm | None = None,
                 status: int = 200) -> HttpResponse:
    may_change = may_change_production(request.user, production.studio_id) and not read_only(request)
    if labour_form is not None:
        flag_invalid(labour_form)
    elif may_change:
        labour_form = LabourActionForm(initial={"active": "0" if production.labour_action else "1"})
    return render(request, "web/productions/detail.html", {
        "production": production, "facts": _facts(production), "may_change": may_change,
        "labour_form": labour_form if may_change else None,
        "history": audit_events_for(object_type="productions.production", object_id=str(production.pk)),
    }, status=status)


def _form_page(request: HttpRequest, form: ProductionForm, *, title: str, production: Production | None = None,
               status: int = 200) -> HttpResponse:
    if form.is_bound:
        flag_invalid(form)
    return render(request, "web/productions/form.html", {
        "form": form, "title": title, "production": production, "multi": MULTI_FIELDS,
        "fields": [form[name] for name in form.fields],
    }, status=status)


def _save(form: ProductionForm, save: Any) -> Production | None:
    """Run the service with the form's values; its ValidationError becomes form errors (PermissionDenied: 403)."""
    if not form.is_valid():
        return None
    try:
        return save(**form.values())
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


@require_http_methods(["GET", "POST"])
@login_required
def production_new(request: HttpRequest) -> HttpResponse:
    refuse_auditors(request, "create productions")
    studios = studios_of(request.user, PRODUCTION_EDITORS).order_by("name")
    if not studios.exists():
        raise PermissionDenied("Only legal and admins of a studio may create its productions.")
    if request.method == "POST":
        form = ProductionForm(request.POST, studios=studios)
        saved = _save(form, lambda **kw: production_services.production_create(by=signed_in(request), **kw))
        if saved is not None:
            messages.success(request, f"Production “{saved.title}” created.")
            return redirect("web:production", pk=saved.pk)
        return _form_page(request, form, title="New production", status=400)
    form = ProductionForm(studios=studios, initial={"studio": studios.first(), "agreement": "none"})
    return _form_page(request, form, title="New production")


@require_http_methods(["GET", "POST"])
@login_required
def production_edit(request: HttpRequest, pk: int) -> HttpResponse:
    refuse_auditors(request, "change productions")
    production = _production(request, pk)
    _require_editor(request, production, "change this production")
    title = f"Edit “{production.title}”"
    if request.method == "POST":
        form = ProductionForm(request.POST)
        saved = _save(form, lambda **kw: production_services.production_update(
            production=production, by=signed_in(request), **kw))
        if saved is not None:
            messages.success(request, f"“{saved.title}” updated. The gate applies the new terms from its next check.")
            return redirect("web:production", pk=saved.pk)
        production.refresh_from_db()  # the failed update may have set fields on the object
        return _form_page(request, form, title=title, production=production, status=400)
    return _form_page(request, ProductionForm(initial=ProductionForm.initial_from(production)), title=title,
                      production=production)


@require_POST
@login_required
def production_labour_action(request: HttpRequest, pk: int) -> HttpResponse:
    refuse_auditors(request, "set or clear the labour-action flag")
    production = _production(request, pk)
    _require_editor(request, production, "set or clear the labour-action flag")
    form = LabourActionForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, production, labour_form=form, status=400)
    active = form.cleaned_data["active"]
    production = production_services.production_set_labour_action(
        production=production, active=active, by=signed_in(request), note=form.cleaned_data["note"])
    messages.success(request, f"Labour action flagged on “{production.title}”: the gate applies the strike rules to "
                              "it from now on." if active else f"Labour-action flag cleared on “{production.title}”.")
    return redirect("web:production", pk=production.pk)


routes = [
    path("productions/", production_list, name="productions"),
    path("productions/new/", production_new, name="production_new"),
    path("productions/<int:pk>/", production_detail, name="production"),
    path("productions/<int:pk>/edit/", production_edit, name="production_edit"),
    path("productions/<int:pk>/labour-action/", production_labour_action, name="production_labour_action"),
]
