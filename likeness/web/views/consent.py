"""Placeholder: the consent pages are being built (each route answers 501 until then)."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _todo(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


routes = [
    path("consent-todo/performers/", _todo, name="performers"),
    path("consent-todo/approvals/", _todo, name="approvals"),
    path("consent-todo/decisions/", _todo, name="decisions"),
    path("consent-todo/rules/", _todo, name="rules"),
    path("performers/<int:pk>/", _todo, name="performer"),
    path("grants/<int:pk>/", _todo, name="grant"),
]
