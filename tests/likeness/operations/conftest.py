"""The job fixtures (committed world, footage, real workers on a real broker) for the tests that run the
embedded platform."""
from __future__ import annotations

from tests.likeness.jobs.conftest import (  # noqa: F401
    broker,
    footage,
    helpers,
    live_db,
    live_world,
    ready_model,
    tiny_checkpoint,
    workers,
)
