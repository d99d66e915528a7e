from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "likeness.api"
    label = "api"
    verbose_name = "REST API"
