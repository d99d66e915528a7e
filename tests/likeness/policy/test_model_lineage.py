"""A model follows the consent it was trained under, across amendments (training and use are consented to
separately): it stays usable while the family's current version still allows training, and stops when the consent
is revoked, expires, or is narrowed so that training is no longer allowed."""
from __future__ import annotations

import datetime as dt

from likeness.policy.facts import ModelFacts
from likeness.policy.gate import evaluate
from likeness.policy.outcomes import Outcome
from tests.factories import NOW, facts, grant, request

MODEL = ModelFacts(id="m1", performer_id="p1", training_grant_id="g1")


def lineage(decision):
    return next(ln for ln in decision.lines if ln.rule_id == "GATE-MODEL-LINEAGE")


def test_an_amendment_that_keeps_training_keeps_the_model() -> None:
    v1 = grant(id="g1", version=1, status="superseded", family="fam1")
    v2 = grant(id="g2", version=2, status="active", family="fam1")
    decision = evaluate(request(model=MODEL), facts(v1, v2))
    assert decision.outcome == Outcome.ALLOW, decision.explanation
    assert "current version (grant v2" in lineage(decision).message


def test_an_amendment_that_drops_training_stops_the_model() -> None:
    v1 = grant(id="g1", version=1, status="superseded", family="fam1")
    v2 = grant(id="g2", version=2, status="active", family="fam1", uses=("de_aging",))
    decision = evaluate(request(model=MODEL), facts(v1, v2))
    assert decision.outcome == Outcome.DENY
    assert "no longer allows training" in lineage(decision).message


def test_revocation_of_the_family_stops_the_model() -> None:
    v1 = grant(id="g1", version=1, status="superseded", family="fam1")
    v2 = grant(id="g2", version=2, status="revoked", family="fam1", revoked_at=NOW - dt.timedelta(days=1))
    other = grant(id="g3", version=1, status="active", family="fam2")  # covers the use, but is not the lineage
    decision = evaluate(request(model=MODEL), facts(v1, v2, other))
    assert decision.outcome == Outcome.DENY
    assert "no later version of that consent is in force" in lineage(decision).message


def test_another_familys_grant_is_not_a_later_version() -> None:
    v1 = grant(id="g1", version=1, status="superseded", family="fam1")
    stranger = grant(id="g9", version=2, status="active", family="fam2")
    assert evaluate(request(model=MODEL), facts(v1, stranger)).outcome == Outcome.DENY
