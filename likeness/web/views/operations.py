"""The operator's health page: workers per queue, queue depth, the signing certificate, the audit chain, disk."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from likeness.access.predicates import may_see_platform_health
from likeness.operations.selectors import platform_health
from likeness.web.access import request_reach


@login_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    if not may_see_platform_health(request_reach(request)):
        raise PermissionDenied("Only the platform's operators may see its health.")
    return render(request, "web/operations/health.html", platform_health())


routes = [path("operations/health/", health, name="health")]
