"""Loaded with `-p tests.environment` (pyproject addopts) before pytest-django imports the settings: the suite
runs with production settings (DEBUG off), a throwaway secret key, and plain HTTP on the test server."""
from __future__ import annotations

import os
import secrets

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-" + secrets.token_urlsafe(40))
os.environ.setdefault("LIKENESS_HTTPS", "0")
