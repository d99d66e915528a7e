"""Placeholder: the audit pages are being built (each route answers 501 until then)."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _todo(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


routes = [
    path("audit-todo/verify/", _todo, name="verify"),
    path("audit-todo/outputs/", _todo, name="outputs"),
    path("audit-todo/audit_log/", _todo, name="audit_log"),
    path("audit-todo/usage/", _todo, name="usage"),
    path("outputs/<uuid:pk>/", _todo, name="output"),
]
