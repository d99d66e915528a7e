"""Sign-in and the home page: one panel per role the person holds, each with that role's queue."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from likeness.access.predicates import may_see_productions
from likeness.access.requester import signed_in
from likeness.access.scope import (
    audit_events_visible_to,
    grants_visible_to,
    jobs_visible_to,
    outputs_visible_to,
    performers_managed_by,
)
from likeness.consent.selectors import grants_awaiting_approval_for
from likeness.provenance.models import OutputStatus
from likeness.web.access import in_groups


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user, context = signed_in(request), dict[str, Any]()
    if in_groups(request, ["consent"]):
        context["consent"] = {
            "performers": performers_managed_by(user).order_by("legal_name"),
            "grants_to_approve": grants_awaiting_approval_for(user).exclude(drafted_by=user),
            "drafts": grants_visible_to(user).filter(status="draft", drafted_by=user),
            "outputs_to_approve": outputs_visible_to(user).filter(status=OutputStatus.AWAITING_APPROVAL),
        }
    if in_groups(request, ["vfx"]):
        jobs = jobs_visible_to(user).select_related("performer", "production")
        context["vfx"] = {"active": jobs.filter(state__in=["queued", "running"]).order_by("-created_at")[:10],
                          "recent": jobs.order_by("-created_at")[:10]}
    if in_groups(request, ["auditor"]):
        context["auditor"] = {
            "released": outputs_visible_to(user).filter(status=OutputStatus.RELEASED).order_by("-released_at")[:10],
            "events": audit_events_visible_to(user).count(),
        }
    context["admin_panel"] = in_groups(request, ["admin"])
    context["studio_staff"] = may_see_productions(request.user)
    return render(request, "web/home.html", context)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


routes = [
    path("", home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
