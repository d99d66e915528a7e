"""Provenance: the platform's signing CA, C2PA signing of outputs, verification and the output registry."""
from __future__ import annotations

from django.apps import AppConfig


class ProvenanceConfig(AppConfig):
    name = "likeness.provenance"
    label = "provenance"

    def ready(self) -> None:
        from likeness.provenance import receivers  # noqa: F401 - connects the signal listeners
