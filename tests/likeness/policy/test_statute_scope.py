"""California Labor Code § 927 and New York GOL § 5-302 as their text reads: a "digital replica" includes a
performance that did happen but whose "fundamental character ... has been materially altered" (de-aging is
such an alteration), and the statutes reach "a new performance, fixed on or after January 1, 2025", whatever
the contract's date. Expected outcomes come from that wording, not from the gate."""
from __future__ import annotations

import datetime as dt

import pytest

from likeness.policy.gate import evaluate
from likeness.policy.outcomes import Outcome
from tests.factories import facts, grant, performer, production, request

VAGUE_UNREPRESENTED = dict(use_description="digital uses", represented_by_counsel=False,
                           union_agreement_covers_replicas=False)
STATES = [("US-CA", "CA-LAB-927"), ("US-NY", "NY-GOB-5-302")]


def non_union(state: str, **grant_kw: object):
    return facts(grant(**grant_kw), performer=performer(domicile=state),
                 production=production(agreement="none", jurisdictions=(state,)))


def line(decision, rule_id):
    return next((ln for ln in decision.lines if ln.rule_id == rule_id), None)


@pytest.mark.parametrize(("state", "rule_id"), STATES)
@pytest.mark.parametrize("use", ["de_aging", "aging_up"])
def test_an_age_change_is_a_material_alteration(state, rule_id, use) -> None:
    """The issue's case: non-union de-aging, no description, no counsel, no union agreement."""
    decision = evaluate(request(use=use, replica_types=("digital_alteration",)), non_union(state, **VAGUE_UNREPRESENTED))
    assert decision.outcome == Outcome.DENY
    assert line(decision, rule_id).severity == "deny"
    assert "materially altered" in line(decision, rule_id).message


@pytest.mark.parametrize(("state", "rule_id"), STATES)
def test_an_altered_performance_with_counsel_is_enforceable(state, rule_id) -> None:
    decision = evaluate(request(replica_types=("digital_alteration",)),
                        non_union(state, use_description="digital uses", union_agreement_covers_replicas=False))
    assert decision.outcome == Outcome.ALLOW
    info = line(decision, rule_id)
    # The line states what is on file, and only that: counsel, not a description.
    assert info.severity == "info" and "counsel" in info.message
    assert "description" not in info.message.split("on file:")[1]


@pytest.mark.parametrize(("state", "rule_id"), STATES)
def test_a_2024_contract_used_for_a_2026_performance_is_in_scope(state, rule_id) -> None:
    decision = evaluate(request(replica_types=("icdr",)),
                        non_union(state, signed_on=dt.date(2024, 3, 1), **VAGUE_UNREPRESENTED))
    assert decision.outcome == Outcome.DENY
    assert line(decision, rule_id).severity == "deny"


@pytest.mark.parametrize(("state", "rule_id"), STATES)
def test_a_performance_fixed_before_2025_is_outside_the_statute(state, rule_id) -> None:
    decision = evaluate(request(replica_types=("icdr",), performance_fixed_on=dt.date(2024, 12, 31)),
                        non_union(state, **VAGUE_UNREPRESENTED))
    assert line(decision, rule_id) is None
    on_the_day = evaluate(request(replica_types=("icdr",), performance_fixed_on=dt.date(2025, 1, 1)),
                          non_union(state, **VAGUE_UNREPRESENTED))
    assert line(on_the_day, rule_id).severity == "deny"


@pytest.mark.parametrize(("state", "rule_id"), STATES)
def test_training_alone_is_not_a_replica(state, rule_id) -> None:
    decision = evaluate(request(use="training", replica_types=(), depicted_age=None, media=(), territories=()),
                        non_union(state, **VAGUE_UNREPRESENTED))
    assert line(decision, rule_id) is None


@pytest.mark.django_db
def test_the_what_if_takes_the_fixation_date(world, make_grant) -> None:
    from rest_framework.test import APIClient

    make_grant(use_description="digital uses", represented_by_counsel=False, union_agreement_covers_replicas=False)
    api = APIClient()
    api.force_authenticate(world.rep)
    body = {"performer": world.performer.pk, "production": world.production.pk, "use": "de_aging",
            "depicted_age": 30, "media": ["theatrical"], "territories": ["US"], "replica_types": ["icdr"]}
    now = api.post("/api/v1/gate/what-if/", body, format="json").json()
    before = api.post("/api/v1/gate/what-if/", {**body, "performance_fixed_on": "2024-06-01"}, format="json").json()
    assert "CA-LAB-927" in {ln["rule_id"] for ln in now["lines"] if ln["severity"] == "deny"}
    assert "CA-LAB-927" not in {ln["rule_id"] for ln in before["lines"]}
