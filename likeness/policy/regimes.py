"""Which rule packs apply: from the production's agreement, the performer's domicile, the production's
jurisdictions and its release territories (EU AI Act, GDPR)."""
from __future__ import annotations

from likeness.policy import vocabulary as vocab
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
RULE_PACK_VERSIONS: dict[str, str] = {
    "PLATFORM": "2026.11.1",
    "SAG23": "2026.11.1",
    "SAG26": "2026.11.1",
    "IMA25": "2026.11.1",
    "COM25": "2026.11.1",
    "EQUITY": "2026.11.1",
    "CA": "2026.11.1",
    "NY": "2026.11.1",
    "TN": "2026.11.1",
    "EU-AIA": "2026.11.1",
    "GDPR": "2026.11.1",
    "US-NOFAKES": "2026.11.1",
}
SELECTABLE_PACKS = frozenset({"US-NOFAKES"})

STATE_REGIMES = {"US-CA": "CA", "US-NY": "NY", "US-TN": "TN"}


def applicable_regimes(request: GateRequest, facts: GateFacts) -> frozenset[str]:
    production = facts.production
    regimes = {"PLATFORM"} | set(AGREEMENT_REGIMES.get(production.agreement, frozenset()))
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
