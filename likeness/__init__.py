"""The consent- and provenance-governed likeness platform (Django project and domain apps)."""
from __future__ import annotations

from likeness.celery import app as celery_app

__all__ = ["celery_app"]
