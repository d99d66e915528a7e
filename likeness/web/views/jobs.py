"""Placeholder: the jobs pages are being built (each route answers 501 until then)."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _todo(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


routes = [
    path("jobs-todo/jobs/", _todo, name="jobs"),
    path("jobs-todo/job_training_new/", _todo, name="job_training_new"),
    path("jobs-todo/job_aging_new/", _todo, name="job_aging_new"),
    path("jobs-todo/models/", _todo, name="models"),
    path("jobs-todo/preview/", _todo, name="preview"),
    path("jobs/<uuid:pk>/", _todo, name="job"),
]
