from __future__ import annotations

from django.apps import AppConfig


class ProductionsConfig(AppConfig):
    name = "likeness.productions"
    label = "productions"
