from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "likeness.jobs"
    label = "jobs"

    def ready(self) -> None:
        # Revocation and expiry propagate to jobs and models (listeners of consent's signal).
        from likeness.jobs import receivers  # noqa: F401
