"""A bounded schemathesis run: for every operation in the OpenAPI schema, generated requests (valid and
invalid by the schema) are sent as three people of different tenants and roles, and none may get a server
error; every answer's status must be one the schema documents. The schema comes from the running app, so a new
route is fuzzed the day it exists.

Bounded: LIKENESS_FUZZ_EXAMPLES generated cases per operation (default 10), each sent as every role. Figures of
the last run (operations, requests, server errors) go to var/fuzz-api.json."""
from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from likeness.accounts.services import api_token_create
from likeness.wsgi import application
from tests.conftest import build_world

EXAMPLES = int(os.environ.get("LIKENESS_FUZZ_EXAMPLES", "10"))
PHASES = os.environ.get("LIKENESS_FUZZ_PHASES", "examples,fuzzing").split(",")
ROLES = ("rep", "vfx", "other_auditor")  # an agency, a studio, an audit firm engaged on another studio
FIGURES: Counter[str] = Counter()

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
# Schemathesis' own setting wins over Hypothesis' max_examples below; both say the same.
schema.config.generation.update(max_examples=EXAMPLES)
# The coverage phase adds ~100 deterministic boundary cases per operation (about ten minutes here): on for a
# full run (LIKENESS_FUZZ_PHASES=examples,coverage,fuzzing), off in the everyday suite.
schema.config.phases.update(phases=PHASES)


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if FIGURES:
        out = Path(django_settings.BASE_DIR) / "var" / "fuzz-api.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({"examples_per_operation": EXAMPLES, "phases": PHASES, "roles": ROLES,
                                   **FIGURES}, indent=1))


@pytest.fixture
def tokens(db) -> Iterator[dict[str, str]]:
    # Requests go through the real WSGI handler, which closes the database connection when a request ends; the
    # test's transaction must outlive them (Django's test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    world = build_world()
    yield {role: api_token_create(user=getattr(world, role), name="fuzz")[1] for role in ROLES}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case, tokens) -> None:
    FIGURES["cases"] += 1
    FIGURES[f"operation {case.operation.label}"] = 1
    for role in ROLES:
        response = case.call(headers={"Authorization": f"Token {tokens[role]}"})
        FIGURES["requests"] += 1
        FIGURES[f"status {response.status_code}"] += 1
        if response.status_code >= 500:
            FIGURES["server_errors"] += 1
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance])
