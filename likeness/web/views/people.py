"""Reference footage: registering a performer's earlier footage (what a likeness model is trained on)."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from likeness.access.requester import signed_in
from likeness.access.scope import performers_taking_reference_material, performers_visible_to
from likeness.people.services import reference_material_create
from likeness.web.access import for_groups, in_groups, refuse_auditors
from likeness.web.forms.people import ReferenceMaterialForm


def _after(request: HttpRequest, performer_id: int) -> str:
    """Back where the person came from (the training form, say), else the performer's page, else the training form
    for that performer."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return wanted
    if performers_visible_to(request.user).filter(pk=performer_id).exists() and in_groups(
            request, ["consent", "vfx", "auditor", "admin"]):
        return reverse("web:performer", args=[performer_id])
    return reverse("web:job_training_new") + f"?performer={performer_id}"


@require_http_methods(["GET", "POST"])
@for_groups("consent", "vfx", doing="register reference footage")
def reference_new(request: HttpRequest) -> HttpResponse:
    refuse_auditors(request, "register reference footage")
    if request.method == "GET":
        form = ReferenceMaterialForm(user=signed_in(request), initial={"performer": request.GET.get("performer")})
        return _page(request, form)
    form = ReferenceMaterialForm(request.POST, request.FILES, user=signed_in(request))
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    upload = data.pop("file")
    performer = data.pop("performer")
    try:
        material = reference_material_create(performer=performer, by=signed_in(request), file=upload, **data)
    except ValidationError as exc:
        for field, problems in exc.message_dict.items():
            form.add_error(field if field in form.fields else ("file" if field == "sha256" else None), problems)
        return _page(request, form, status=400)
    messages.success(request, f"Registered “{material.title}” ({material.year}, age {material.performer_age}) for "
                              f"{performer}: {filesizeformat(material.file.size)}, SHA-256 {material.sha256}, "
                              "computed from the file as it arrived.")
    return redirect(_after(request, performer.pk))


def _page(request: HttpRequest, form: ReferenceMaterialForm, status: int = 200) -> HttpResponse:
    return render(request, "web/people/reference_new.html", {
        "form": form, "next": request.POST.get("next") or request.GET.get("next") or "",
        "none_to_register": not performers_taking_reference_material(request.user).exists(),
    }, status=status)


routes = [path("reference-material/new/", reference_new, name="reference_new")]
