"""Which rule packs apply: from the agreement in force on the day of the use (the production's, or its
successor once its term has ended), the performer's domicile, the production's jurisdictions and its release
territories (EU AI Act, GDPR)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from likeness.common import vocabulary as vocab
from likeness.policy.facts import GateFacts, GateRequest

AGREEMENT_REGIMES: dict[str, frozenset[str]] = {
    vocab.Agreement.NONE: frozenset(),
    vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2023: frozenset({"SAG23"}),
    # The 2026 agreement carries the 2023 AI terms forward and adds its own.
    vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026: frozenset({"SAG23", "SAG26"}),
    vocab.Agreement.SAG_AFTRA_INTERACTIVE_2025: frozenset({"SAG23", "IMA25"}),
    vocab.Agreement.SAG_AFTRA_COMMERCIALS_2025: frozenset({"SAG23", "COM25"}),
    vocab.Agreement.EQUITY_UK: frozenset({"EQUITY"}),
}

# Every regime's pack carries a version; a Decision records the versions it was made under.
# A pack's version changes whenever its rules decide differently; `manage.py rules_impact --pack OLD` re-decides
# Decisions made under an older version with the installed rules and lists what changes.
# 2026.12.1: PLATFORM (facts validated, explanations grouped, model lineage by family, labour actions, agreement
# terms, capacity at signing, UTC days), SAG23 (session date needed, posthumous rule), COM25 (planned use needed),
# CA and NY (§ 927 / § 5-302 scope as written; 70-year window by anniversary), GDPR (living persons only).
RULE_PACK_VERSIONS: dict[str, str] = {
    "PLATFORM": "2026.12.1",
    "SAG23": "2026.12.1",
    "SAG26": "2026.11.1",
    "IMA25": "2026.11.1",
    "COM25": "2026.12.1",
    "EQUITY": "2026.11.1",
    "CA": "2026.12.1",
    "NY": "2026.12.1",
    "TN": "2026.11.1",
    "EU-AIA": "2026.11.1",
    "GDPR": "2026.12.1",
    "US-NOFAKES": "2026.11.1",
}
SELECTABLE_PACKS = frozenset({"US-NOFAKES"})


@dataclass(frozen=True)
class AgreementTerm:
    name: str
    starts: dt.date
    ends: dt.date
    successor: str | None = None


# Terms of the agreements, as the unions publish them. Work done after an agreement's term falls
# under its successor (whose packs carry the earlier AI terms forward, so nothing the production relied on is
# dropped). Agreements without a term here are applied as coded.
AGREEMENT_TERMS: dict[str, AgreementTerm] = {
    vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2023: AgreementTerm(
        "SAG-AFTRA TV/Theatrical 2023", dt.date(2023, 11, 9), dt.date(2026, 6, 30),
        successor=vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026),
    vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026: AgreementTerm(
        "SAG-AFTRA TV/Theatrical 2026", dt.date(2026, 7, 1), dt.date(2030, 6, 30)),
}


def agreement_in_force(coded: str, day: dt.date) -> tuple[str, str]:
    """The agreement that governs work on `day` for a production coded under `coded`, and why ('' when it is the
    coded one in its term)."""
    term = AGREEMENT_TERMS.get(coded)
    if term is None or day <= term.ends:
        return coded, ""
    current, current_term = coded, term
    while current_term.successor and day > current_term.ends:
        current = current_term.successor
        current_term = AGREEMENT_TERMS[current]
    if current == coded:
        return coded, f"{term.name}'s term ended on {term.ends} and no successor is on file: its terms apply as coded"
    return current, (f"the production is coded under {term.name}, whose term ended on {term.ends}; work on {day} "
                     f"falls under {current_term.name} ({current_term.starts} to {current_term.ends}), whose rules "
                     "apply")

STATE_REGIMES = {"US-CA": "CA", "US-NY": "NY", "US-TN": "TN"}


def applicable_regimes(request: GateRequest, facts: GateFacts) -> frozenset[str]:
    production = facts.production
    agreement, _why = agreement_in_force(production.agreement, request.day)
    regimes = {"PLATFORM"} | set(AGREEMENT_REGIMES.get(agreement, frozenset()))
    places = {facts.performer.domicile, *production.jurisdictions}
    regimes |= {STATE_REGIMES[p] for p in places if p in STATE_REGIMES}
    # The EU AI Act's transparency duties follow publication in the EU.
    territories = set(request.territories) | set(production.release_territories)
    countries = {vocab.country_of(p) for p in places}
    if territories & vocab.EU_MEMBERS or vocab.WORLDWIDE in territories or countries & vocab.EU_MEMBERS:
        regimes.add("EU-AIA")
    # GDPR protects living persons in the EEA/UK and processing by establishments there. Recital 27: it "does
    # not apply to the personal data of deceased persons"; estate rules (GATE-ESTATE, state law) take over.
    if countries & vocab.GDPR_COUNTRIES and not facts.performer.is_deceased_on(request.day):
        regimes.add("GDPR")
    regimes |= (set(production.extra_rule_packs) | set(facts.extra_rule_packs)) & SELECTABLE_PACKS
    return frozenset(regimes)
