"""Demo fixtures: demo data exists only in local runs, so these tests turn DEBUG on as `make run` does."""
from __future__ import annotations

import pytest


@pytest.fixture
def local_run(settings, tmp_path):
    """DEBUG on (the demo authenticators refuse to exist otherwise), a CA, and the instance's folders in tmp."""
    settings.DEBUG = True
    settings.TSA_URL = ""
    settings.VAR_DIR = tmp_path / "var"
    settings.ENGINE_WORK_DIR = tmp_path / "engine"
    return settings
