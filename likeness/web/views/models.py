"""Placeholder: the models and live preview pages are being built (each route answers 501 until then)."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _todo(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


routes = [
    path("models-todo/", _todo, name="models"),
    path("models-todo/<uuid:pk>/", _todo, name="model"),
    path("preview-todo/", _todo, name="preview"),
]
