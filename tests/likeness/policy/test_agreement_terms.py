"""Agreements apply in their term. The SAG-AFTRA TV/Theatrical 2026 agreement (ratified June 2026) runs 1 Jul 2026 -
30 Jun 2030, so work in December 2026 on a production coded under the 2023 agreement falls under the 2026 rules."""
from __future__ import annotations

import datetime as dt

from likeness.policy.gate import evaluate
from likeness.policy.outcomes import Outcome
from tests.factories import facts, grant, production, request

CODED_2023 = production(agreement="sag_aftra_tv_theatrical_2023")


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def test_work_after_the_2023_term_falls_under_the_2026_agreement() -> None:
    decision = evaluate(request(at=at(dt.date(2026, 12, 1))),
                        facts(grant(term_start=dt.date(2026, 1, 1)), production=CODED_2023))
    assert {"SAG23", "SAG26"} <= set(decision.regimes)
    line = next(ln for ln in decision.lines if ln.rule_id == "GATE-AGREEMENT-TERM")
    assert "term ended on 2026-06-30" in line.message and "TV/Theatrical 2026" in line.message


def test_work_in_the_2023_term_keeps_the_2023_rules_only() -> None:
    decision = evaluate(request(at=at(dt.date(2026, 5, 1))),
                        facts(grant(term_start=dt.date(2026, 1, 1)), production=CODED_2023))
    assert "SAG23" in decision.regimes and "SAG26" not in decision.regimes
    assert all(ln.rule_id != "GATE-AGREEMENT-TERM" for ln in decision.lines)


def test_the_2026_strike_rule_reaches_a_2023_production_after_its_term() -> None:
    struck = production(agreement="sag_aftra_tv_theatrical_2023", labour_action=True)
    during = evaluate(request(at=at(dt.date(2026, 12, 1))), facts(grant(term_start=dt.date(2026, 1, 1)),
                                                                  production=struck))
    assert during.outcome == Outcome.DENY
    assert any(ln.rule_id == "SAG26-STRIKE" and ln.severity == "deny" for ln in during.lines)
