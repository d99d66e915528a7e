"""The members page of an organisation, for its admins: who holds which role, adding a person with a role the
admin may hand out, and removing a membership.

The organisation is looked up among those the user manages (likeness.access.scope.organisations_managed_by):
another organisation is a 404. Writes go through membership_create / membership_delete, which enforce
may_assign_role and may_manage_members and keep at least one admin; their refusals are shown on the page.
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

from likeness.access.predicates import may_assign_role, may_manage_any_members
from likeness.access.requester import signed_in
from likeness.access.scope import organisations_managed_by
from likeness.organisations import services as organisation_services
from likeness.organisations.models import Membership, Organisation, Role
from likeness.organisations.selectors import account_named, members_of
from likeness.web.access import refuse_auditors
from likeness.web.forms.consent import add_service_errors, flag_invalid
from likeness.web.forms.organisations import MemberAddForm

NOT_AN_ADMIN = "Only an organisation's admins (and operators) manage its members."


def _require_admin(request: HttpRequest) -> None:
    if not may_manage_any_members(request.user):
        raise PermissionDenied(NOT_AN_ADMIN)


def _organisation(request: HttpRequest, pk: int) -> Organisation:
    _require_admin(request)
    return get_object_or_404(organisations_managed_by(request.user), pk=pk)


def _assignable(request: HttpRequest, organisation: Organisation) -> list[tuple[str, str]]:
    return [(r.value, str(r.label)) for r in Role if may_assign_role(request.user, organisation, r.value)]


@require_GET
@login_required
def members_home(request: HttpRequest) -> HttpResponse:
    """The organisations the user manages; with only one (the usual case), straight to its members."""
    _require_admin(request)
    organisations = list(organisations_managed_by(request.user).order_by("name"))
    if len(organisations) == 1:
        return redirect("web:organisation_members", pk=organisations[0].pk)
    return render(request, "web/organisations/choose.html", {"organisations": organisations})


def _members_page(request: HttpRequest, organisation: Organisation, *, form: MemberAddForm | None = None,
                  status: int = 200) -> HttpResponse:
    people: dict[int, dict[str, Any]] = {}
    for m in members_of(organisation):
        person = people.setdefault(m.user_id, {"user": m.user, "memberships": []})
        # The removal rule is the service's own (an organisation keeps an admin): a button it would refuse
        # is shown disabled with its reason.
        person["memberships"].append({"membership": m,
                                      "refusal": organisation_services.membership_delete_refusal(m)})
    if form is None:
        form = MemberAddForm(roles=_assignable(request, organisation))
    else:
        flag_invalid(form)
    return render(request, "web/organisations/members.html", {
        "organisation": organisation, "people": list(people.values()), "form": form,
        "choose_url": len(organisations_managed_by(request.user)[:2]) > 1,
    }, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def organisation_members(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        refuse_auditors(request, "manage members")
    organisation = _organisation(request, pk)
    if request.method == "GET":
        return _members_page(request, organisation)
    form = MemberAddForm(request.POST, roles=_assignable(request, organisation))
    if form.is_valid():
        user = account_named(form.cleaned_data["person"])
        if user is None:
            form.add_error("person", "no account has that username or email (an operator creates accounts; if "
                                     "several share the email, give the username)")
        else:
            try:
                membership = organisation_services.membership_create(
                    user=user, organisation=organisation, role=form.cleaned_data["role"], by=signed_in(request))
            except ValidationError as exc:
                add_service_errors(form, _membership_words(exc))
            else:
                messages.success(request, f"{user.get_username()} is now {membership.get_role_display().lower()} "
                                          f"at {organisation}.")
                return redirect("web:organisation_members", pk=organisation.pk)
    return _members_page(request, organisation, form=form, status=400)


def _membership_words(exc: ValidationError) -> ValidationError:
    """The model's uniqueness message ('Membership with this User, Organisation and Role already exists') in
    words an admin reads, beside the person field."""
    if hasattr(exc, "error_dict") and "__all__" in exc.error_dict:
        texts = [m for m in exc.message_dict["__all__"] if "already exists" in m]
        if texts:
            return ValidationError({"person": ["this person already holds that role here"]})
    return exc


@require_POST
@login_required
def membership_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    refuse_auditors(request, "manage members")
    organisation = _organisation(request, pk)
    membership = get_object_or_404(Membership.objects.select_related("user", "organisation"),
                                   pk=membership_pk, organisation=organisation)
    who, role = membership.user.get_username(), membership.get_role_display().lower()
    try:
        organisation_services.membership_delete(membership=membership, by=signed_in(request))
    except ValidationError as exc:
        messages.error(request, "Not removed: " + "; ".join(exc.messages))
        return redirect("web:organisation_members", pk=organisation.pk)
    messages.success(request, f"{who} no longer holds the {role} role at {organisation}.")
    if not organisations_managed_by(request.user).filter(pk=organisation.pk).exists():
        return redirect("web:home")  # the admin removed their own admin role
    return redirect("web:organisation_members", pk=organisation.pk)


routes = [
    path("members/", members_home, name="members"),
    path("organisations/<int:pk>/members/", organisation_members, name="organisation_members"),
    path("organisations/<int:pk>/members/<int:membership_pk>/remove/", membership_remove, name="membership_remove"),
]
