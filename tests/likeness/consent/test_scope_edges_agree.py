"""One source for a grant's scope rules: each bad scope below is refused on the same field by the three ways in,
the consent service, the API and the consent form; where the rule is a cross-field one (or a model field's own
validator) they refuse it in the same words, the words of likeness.consent.validation and of the model.

The expected fields are written from the case; the expected words, where they must agree, from the shared rule.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from likeness.audit.models import AuditEvent
from likeness.consent import services
from likeness.consent.models import ConsentGrant
from likeness.consent.selectors import DIFF_FIELDS
from likeness.consent.services import SCOPE_FIELDS
from likeness.consent.validation import scope_errors
from likeness.web.forms.consent import FIELDSETS, GrantForm
from tests.conftest import grant_scope

pytestmark = pytest.mark.django_db

NO_PRODUCTIONS = object()  # the case names no production at all

# (case, scope overrides, the field refused, whether all three give the same words)
CASES = [
    ("inverted ages", {"depicted_age_min": 50, "depicted_age_max": 20}, "depicted_age_max", True),
    ("one age end only", {"depicted_age_min": 30, "depicted_age_max": None}, "depicted_age_max", True),
    ("the other end only", {"depicted_age_min": None, "depicted_age_max": 30}, "depicted_age_min", True),
    ("term ends before it starts", {"term_start": dt.date(2027, 1, 1), "term_end": dt.date(2026, 1, 1)}, "term_end",
     True),
    ("no uses", {"uses": []}, "uses", False),
    ("no productions", {"productions": NO_PRODUCTIONS}, "productions", False),
    ("guardian ticked, no name", {"guardian_consent": True, "guardian_consent_by": ""}, "guardian_consent_by", True),
    ("estate ticked, blank name", {"estate_consent": True, "estate_consent_by": "  "}, "estate_consent_by", True),
    ("unknown territory", {"territories": ["US", "XX"]}, "territories", True),
    ("no description", {"use_description": "   "}, "use_description", False),
    ("age beyond the oldest", {"depicted_age_max": 130}, "depicted_age_max", True),
    ("negative compensation days", {"compensation_days_estimate": Decimal("-1")}, "compensation_days_estimate", True),
]
IDS = [case[0] for case in CASES]


def _scope(world, overrides: dict[str, Any]) -> tuple[list, dict[str, Any]]:
    overrides = dict(overrides)
    productions = [] if overrides.pop("productions", None) is NO_PRODUCTIONS else [world.production]
    return productions, grant_scope(**overrides)


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def _form_value(value: Any, name: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if name == "territories":
        return " ".join(value)
    return value.isoformat() if isinstance(value, dt.date) else value


def service_errors(world, productions, scope) -> dict[str, list[str]]:
    before = (ConsentGrant.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as info:
        services.grant_draft_create(performer=world.performer, productions=productions, by=world.rep, **scope)
    assert (ConsentGrant.objects.count(), AuditEvent.objects.count()) == before
    return info.value.message_dict


def api_errors(world, productions, scope) -> dict[str, list[str]]:
    client = APIClient()
    client.force_authenticate(world.rep)
    body = {name: _json(value) for name, value in scope.items()}
    body.update(performer=world.performer.pk, productions=[p.pk for p in productions])
    before = ConsentGrant.objects.count()
    response = client.post("/api/v1/grants/", body, format="json")
    assert response.status_code == 400, response.content
    assert ConsentGrant.objects.count() == before
    return response.json()


def form_errors(world, productions, scope) -> dict[str, list[str]]:
    data = {name: _form_value(value, name) for name, value in scope.items() if value is not False}
    data = {name: "on" if value is True else value for name, value in data.items()}
    data["productions"] = [p.pk for p in productions]
    data.setdefault("posthumous_terms", "continues")  # the page's radio buttons always send one (the default)
    form = GrantForm(data)
    assert not form.is_valid()
    return {name: list(messages) for name, messages in form.errors.items()}


EDGES = {"service": service_errors, "api": api_errors, "form": form_errors}


@pytest.mark.parametrize(("case", "overrides", "field", "same_words"), CASES, ids=IDS)
def test_each_edge_refuses_the_bad_scope_on_its_field(world, case, overrides, field, same_words):
    productions, scope = _scope(world, overrides)
    found = {edge: errors(world, productions, scope) for edge, errors in EDGES.items()}
    for edge, errors in found.items():
        assert errors.get(field), (case, edge, errors)
        assert set(errors) == {field}, (case, edge, errors)  # nothing else refused: only the case's own problem
    if same_words:
        assert found["service"][field] == found["api"][field] == found["form"][field], found
    rule = scope_errors(scope, productions).get(field)
    if rule and same_words:
        assert found["form"][field] == rule  # the shared rule's own words


def test_a_good_scope_passes_the_form_and_the_rules(world):
    scope = grant_scope()
    form = GrantForm({name: "on" if value is True else _form_value(value, name) for name, value in scope.items()
                      if value is not False} | {"productions": [world.production.pk], "posthumous_terms": "continues"})
    assert form.is_valid(), form.errors
    assert scope_errors(scope, [world.production]) == {}


def test_every_scope_field_is_on_the_form_and_on_the_page():
    """A new consent dimension (a field the services take) cannot be missed by the form or its page."""
    assert set(DIFF_FIELDS) == SCOPE_FIELDS
    assert SCOPE_FIELDS | {"productions"} == set(GrantForm.base_fields)
    shown = [name for _legend, _help, names in FIELDSETS for name in names]
    assert sorted(shown) == sorted(SCOPE_FIELDS | {"productions"})  # each field in exactly one section


def test_the_form_never_saves(world):
    form = GrantForm({})
    with pytest.raises(TypeError, match="consent services"):
        form.save()
