"""The scope rules of a consent grant (likeness.consent.validation), on their own and as the services apply them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from likeness.audit.models import AuditEvent
from likeness.consent import services
from likeness.consent.models import ConsentGrant
from likeness.consent.validation import scope_errors
from tests.conftest import grant_scope

GOOD = {"uses": ["training"], "depicted_age_min": 25, "depicted_age_max": 45, "term_start": dt.date(2026, 1, 1),
        "term_end": dt.date(2027, 1, 1), "use_description": "the flashback scenes", "guardian_consent": False,
        "guardian_consent_by": "", "estate_consent": False, "estate_consent_by": ""}


def test_a_good_scope_has_no_errors():
    assert scope_errors(GOOD, ["a production"]) == {}
    assert scope_errors({**GOOD, "depicted_age_min": None, "depicted_age_max": None, "term_end": None}, ["p"]) == {}
    assert scope_errors({**GOOD, "depicted_age_min": 30, "depicted_age_max": 30, "term_end": GOOD["term_start"]},
                        ["p"]) == {}


@pytest.mark.parametrize(("changes", "productions", "expected"), [
    ({"uses": []}, ["p"], {"uses": ["name at least one use (training, de_aging, ...)"]}),
    ({}, [], {"productions": ["name at least one production: consent never covers unnamed projects"]}),
    ({"depicted_age_min": 50, "depicted_age_max": 20}, ["p"],
     {"depicted_age_max": ["the depicted-age range is inverted (50 > 20): the oldest age must not be below the "
                           "youngest"]}),
    # Beside the end that is missing.
    ({"depicted_age_max": None}, ["p"], {"depicted_age_max": ["give both ends of the depicted-age range, or neither"]}),
    ({"depicted_age_min": None}, ["p"], {"depicted_age_min": ["give both ends of the depicted-age range, or neither"]}),
    ({"term_start": dt.date(2027, 1, 1), "term_end": dt.date(2026, 1, 1)}, ["p"],
     {"term_end": ["the term ends (2026-01-01) before it starts (2027-01-01)"]}),
    ({"use_description": "  "}, ["p"], {"use_description": ["describe the intended use"]}),
    ({"guardian_consent": True, "guardian_consent_by": " "}, ["p"],
     {"guardian_consent_by": ["name the guardian who consented"]}),
    ({"estate_consent": True}, ["p"], {"estate_consent_by": ["name who consented for the estate"]}),
])
def test_each_rule_names_its_field_and_what_is_wrong(changes, productions, expected):
    assert scope_errors({**GOOD, **changes}, productions) == expected


def test_rules_on_fields_left_out_do_not_run():
    # An edge that already refused a field leaves it out: no second message built on a missing value.
    values = {k: v for k, v in GOOD.items() if k not in {"depicted_age_min", "term_start", "uses", "guardian_consent_by"}}
    assert scope_errors({**values, "guardian_consent": True}, None) == {}


def test_several_problems_are_reported_together():
    errors = scope_errors({**GOOD, "uses": [], "term_end": dt.date(2020, 1, 1), "estate_consent": True}, [])
    assert set(errors) == {"uses", "productions", "term_end", "estate_consent_by"}


# --- the services apply them -------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"guardian_consent": True, "guardian_consent_by": ""}, "guardian_consent_by", "name the guardian"),
    ({"estate_consent": True, "estate_consent_by": "   "}, "estate_consent_by", "name who consented for the estate"),
    ({"compensation_days_estimate": Decimal("-1")}, "compensation_days_estimate", "greater than or equal to 0"),
    ({"depicted_age_max": 130}, "depicted_age_max", "less than or equal to 120"),
])
def test_the_service_refuses_what_the_form_used_to_refuse_alone(world, overrides, field, message):
    before = (ConsentGrant.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as info:
        services.grant_draft_create(performer=world.performer, productions=[world.production], by=world.rep,
                                    **grant_scope(**overrides))
    assert message in " ".join(info.value.message_dict[field])
    assert (ConsentGrant.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_a_named_guardian_is_accepted_and_editing_the_name_away_is_refused(world):
    grant = services.grant_draft_create(performer=world.performer, productions=[world.production], by=world.rep,
                                        **grant_scope(guardian_consent=True, guardian_consent_by="Dana Quinn"))
    assert grant.guardian_consent_by == "Dana Quinn"
    with pytest.raises(ValidationError) as info:
        services.grant_draft_update(grant=grant, by=world.rep, guardian_consent_by="")
    assert info.value.message_dict == {"guardian_consent_by": ["name the guardian who consented"]}
    grant.refresh_from_db()
    assert grant.guardian_consent_by == "Dana Quinn"


@pytest.mark.django_db
def test_an_inverted_range_is_one_message_not_also_a_constraint_violation(world):
    with pytest.raises(ValidationError) as info:
        services.grant_draft_create(performer=world.performer, productions=[world.production], by=world.rep,
                                    **grant_scope(depicted_age_min=50, depicted_age_max=20))
    assert list(info.value.message_dict) == ["depicted_age_max"]
