"""The six edge cases of the rule catalogue (split training and use, split alteration and replica consent,
revocation mid-job, sequels, several regimes at once, minors and estates), decided through the platform's
services where they involve changes over time (revocation), and through the pure gate otherwise."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from likeness.consent.services import grant_revoke
from likeness.policy.facts import ModelFacts
from likeness.policy.gate import evaluate
from likeness.policy.models import Decision
from likeness.policy.outcomes import Outcome
from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make
from tests.factories import NOW, facts, grant, performer, production, request


def test_1_training_and_use_need_separate_grants():
    training_only = grant(id="gt", uses=("training",), replica_types=("icdr",))
    use_only = grant(id="gu", version=1, family="fam2", uses=("de_aging",))
    model = ModelFacts(id="m1", performer_id="p1", training_grant_id="gt")
    # Training under the training grant: allowed. Training under a use-only grant: refused.
    train = request(use="training", depicted_age=None, media=(), territories=(), replica_types=("icdr",))
    assert evaluate(train, facts(training_only)).allowed
    assert evaluate(train, facts(use_only)).outcome == Outcome.DENY
    # Using the model needs the use grant AND the training grant still active.
    assert evaluate(request(model=model), facts(training_only, use_only)).allowed
    assert evaluate(request(model=model), facts(training_only)).outcome == Outcome.DENY
    revoked_training = grant(id="gt", uses=("training",), status="revoked", revoked_at=NOW - dt.timedelta(days=1))
    assert evaluate(request(model=model), facts(revoked_training, use_only)).outcome == Outcome.DENY


def test_2_de_aging_from_earlier_films_needs_alteration_and_icdr_consent():
    both = request(replica_types=("digital_alteration", "icdr"))
    alteration_only = grant(id="ga", replica_types=("digital_alteration",))
    icdr_only = grant(id="gi", family="fam2", replica_types=("icdr",))
    decision = evaluate(both, facts(alteration_only))
    assert decision.outcome == Outcome.NEEDS_REVIEW
    assert decision.lines[0].rule_id == "GATE-SPLIT-CONSENT"
    assert "icdr" in decision.explanation
    combined = evaluate(both, facts(alteration_only, icdr_only))
    assert combined.allowed
    assert set(combined.grant_ids) == {"ga", "gi"}
    assert evaluate(both, facts(grant(replica_types=("ebdr",)))).outcome == Outcome.DENY


@pytest.mark.django_db
def test_3_revocation_takes_effect_at_the_next_check(world, make_grant):
    grant_obj = make_grant()

    def check() -> Decision:
        req = gate_request_build(performer=world.performer, production=world.production, use="de_aging",
                                 depicted_age=30, media=["theatrical"], territories=["US"],
                                 replica_types=["digital_alteration", "icdr"])
        return decision_make(request=req, performer=world.performer, production=world.production,
                             purpose="chunk", by=world.vfx)

    first = check()
    assert first.allowed, first.explanation
    assert list(first.grants.all()) == [grant_obj]
    grant_revoke(grant=grant_obj, by=world.counsel, reason="performer withdrew consent")
    second = check()
    assert second.outcome == Outcome.DENY
    assert "was revoked" in second.explanation and "performer withdrew consent" in second.explanation
    # The first decision is untouched: decisions are immutable records of what was true then.
    assert Decision.objects.get(pk=first.pk).outcome == first.outcome


def test_4_sequels_are_never_covered_unless_named():
    sequel = production(id="prod2", title="Here and Then 2")
    decision = evaluate(request(production_id="prod2"), facts(grant(), production=sequel))
    assert decision.outcome == Outcome.DENY
    assert "covers only 'Here and Then'; 'Here and Then 2' requested" in decision.explanation
    named = grant(productions=("prod1", "prod2"), production_titles=("Here and Then", "Here and Then 2"))
    assert evaluate(request(production_id="prod2"), facts(named, production=sequel)).allowed


def test_5_several_regimes_at_once_strictest_wins():
    # Union (SAG 2026) + California + EU territory + a performer living in France (GDPR).
    f = facts(grant(biometric_consent_explicit=False), performer=performer(domicile="FR"))
    decision = evaluate(request(territories=("US", "FR")), f)
    assert {"SAG23", "SAG26", "CA", "EU-AIA", "GDPR"} <= set(decision.regimes)
    severities = {ln.rule_id: ln.severity for ln in decision.lines}
    assert severities["EU-AIA-50-2"] == "obligation"
    assert severities["GDPR-9"] == "deny"
    assert decision.outcome == Outcome.DENY
    # Give the missing consent: the obligations remain, the outcome relaxes to allow-with-obligations.
    ok = evaluate(request(territories=("US", "FR")), facts(grant(), performer=performer(domicile="FR")))
    assert ok.outcome == Outcome.ALLOW_WITH_OBLIGATIONS
    assert {o.code for o in ok.obligations} == {"c2pa_ai_marking", "ai_disclosure"}


def test_6_minors_and_deceased_need_guardian_or_estate_consent_on_top():
    import datetime as dt

    minor = performer(date_of_birth=dt.date(2014, 3, 1))
    age_up = request(use="aging_up", depicted_age=30)
    assert evaluate(age_up, facts(grant(), performer=minor)).outcome == Outcome.DENY
    assert evaluate(age_up, facts(grant(guardian_consent=True), performer=minor)).allowed
    deceased = performer(date_of_death=dt.date(2024, 2, 2))
    limited = grant(posthumous_terms="limited")
    assert evaluate(request(), facts(limited, performer=deceased)).outcome == Outcome.DENY
    with_estate = grant(posthumous_terms="limited", estate_consent=True)
    assert evaluate(request(), facts(with_estate, performer=deceased)).allowed


def test_decisions_are_immutable(db, world, make_grant):
    make_grant()
    req = gate_request_build(performer=world.performer, production=world.production, use="de_aging",
                             depicted_age=30, media=["theatrical"], territories=["US"],
                             replica_types=["digital_alteration"], at=timezone.now())
    decision = decision_make(request=req, performer=world.performer, production=world.production,
                             purpose="what_if", by=world.vfx)
    decision.outcome = "deny"
    with pytest.raises(PermissionError):
        decision.save()
    with pytest.raises(PermissionError):
        decision.delete()
