from __future__ import annotations

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running the platform: the embedded broker, the worker registry (who is alive, on which queue) and the
    health an operator watches."""

    name = "likeness.operations"
    label = "operations"

    def ready(self) -> None:
        # Worker processes register themselves and beat while they run (Celery signals; inert elsewhere).
        from likeness.operations import worker_registry  # noqa: F401
