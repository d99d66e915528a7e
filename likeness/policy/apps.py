from __future__ import annotations

from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "likeness.policy"
    label = "policy"
    verbose_name = "Likeness gate"
