"""Explanations a lawyer can act on: every failing dimension and every failing rule, grouped (coverage, union,
law, platform), warnings included, and the dates that decided the outcome named."""
from __future__ import annotations

import datetime as dt

from likeness.policy.gate import evaluate
from likeness.policy.outcomes import Outcome
from tests.factories import facts, grant, performer, production, request


def test_a_draft_lacking_three_things_shows_all_three() -> None:
    draft = grant(status="draft", separately_signed=False, use_description="digital uses",
                  biometric_consent_explicit=False, represented_by_counsel=False, union_agreement_covers_replicas=False)
    decision = evaluate(request(replica_types=("icdr",)),
                        facts(draft, performer=performer(domicile="US-CA"),
                              production=production(jurisdictions=("US-CA", "FR"), release_territories=("FR",))))
    assert decision.outcome == Outcome.DENY
    failing = {ln.rule_id for ln in decision.lines if ln.severity == "deny"}
    # Not in force (coverage), not separately signed nor specific (union), unenforceable in California (law).
    assert {"GATE-COVERAGE", "SAG23-CONSENT", "CA-LAB-927"} <= failing, decision.lines
    text = decision.explanation
    assert text.startswith("Denied: coverage: [GATE-COVERAGE]")
    assert text.index("coverage:") < text.index("union:") < text.index("law:")
    for rule_id in failing:
        assert f"[{rule_id}]" in text


def test_warnings_appear_in_the_explanation() -> None:
    uk = dict(production=production(agreement="equity_uk", jurisdictions=("GB",)), performer=performer(domicile="GB"))
    decision = evaluate(request(), facts(grant(exclusive=True, term_end=None), **uk))
    assert decision.outcome.permits
    assert "Warnings: union: [EQUITY-TIME-LIMIT]" in decision.explanation


def test_the_dates_that_decided_are_named() -> None:
    dead = performer(date_of_death=dt.date(2000, 3, 1), date_of_birth=dt.date(1930, 1, 1))
    decision = evaluate(request(), facts(grant(posthumous_terms="continues"), performer=dead,
                                         production=production(agreement="none", jurisdictions=("US-CA",))))
    assert "died on 2000-03-01" in decision.explanation and "ends on 2070-03-01" in decision.explanation
    expired = evaluate(request(), facts(grant(term_end=dt.date(2026, 1, 31))))
    assert "2026-01-31" in expired.explanation
