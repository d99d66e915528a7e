"""A rule: an id, where it comes from, the regimes it belongs to, and a check.

`check` returns None when the rule does not apply to the request, or a Finding saying what it concludes.
It receives the grants that cover the request (already matched in every dimension by coverage.py).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from likeness.policy.facts import GateFacts, GateRequest, GrantFacts
from likeness.policy.outcomes import Finding

# "Reasonably specific" cannot be judged by a machine; the platform refuses descriptions too short to be
# specific and leaves the rest to the approving lawyer, who attests to it when activating the grant.
MIN_DESCRIPTION_WORDS = 12


@dataclass(frozen=True)
class RuleContext:
    request: GateRequest
    facts: GateFacts
    grants: tuple[GrantFacts, ...]
    regimes: frozenset[str]

    @property
    def day(self) -> dt.date:
        return self.request.day

    @property
    def performer_age(self) -> int:
        return self.facts.performer.age_on(self.day)

    @property
    def deceased(self) -> bool:
        return self.facts.performer.is_deceased_on(self.day)

    def failing(self, predicate: Callable[[GrantFacts], bool]) -> list[GrantFacts]:
        return [g for g in self.grants if not predicate(g)]


def labels(grants: list[GrantFacts]) -> str:
    return ", ".join(g.label for g in grants)


def description_is_specific(grant: GrantFacts) -> bool:
    return len(grant.use_description.split()) >= MIN_DESCRIPTION_WORDS


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    # The statute, regulation or agreement the rule rests on, as a lawyer would cite it (never a project file).
    source: str
    source_kind: str  # primary | secondary | guidance | bill | platform
    regimes: frozenset[str]
    applies_when: str
    requires: str
    outcome: str
    check: Callable[[RuleContext], Finding | None] | None
    reviewed: str = "2026-11-23"
    # The official text, where a stable official address exists (legislature or EUR-Lex); empty otherwise.
    source_url: str = ""


REGISTRY: dict[str, Rule] = {}


def structural_rule(**meta: object) -> Rule:
    """A rule the gate enforces in its coverage step rather than through a check (deny by default...)."""
    meta["regimes"] = frozenset(meta["regimes"])  # type: ignore[call-overload]
    r = Rule(check=None, **meta)  # type: ignore[arg-type]
    REGISTRY[r.id] = r
    return r


def rule(**meta: object) -> Callable[[Callable[[RuleContext], Finding | None]], Rule]:
    """Register a check function as a rule; the registry is the single source of the rule catalogue."""

    def register(fn: Callable[[RuleContext], Finding | None]) -> Rule:
        meta["regimes"] = frozenset(meta["regimes"])  # type: ignore[call-overload]
        r = Rule(check=fn, **meta)  # type: ignore[arg-type]
        if r.id in REGISTRY:
            raise ValueError(f"duplicate rule id {r.id}")
        REGISTRY[r.id] = r
        return r

    return register
