from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "likeness.demo"
    label = "demo"
