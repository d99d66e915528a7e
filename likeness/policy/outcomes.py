"""Outcomes, findings and the gate's result. Stricter outcomes have higher rank; the strictest wins."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ALLOW = "allow"
    ALLOW_WITH_OBLIGATIONS = "allow_with_obligations"
    NEEDS_REVIEW = "needs_review"
    DENY = "deny"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def permits(self) -> bool:
        return self in (Outcome.ALLOW, Outcome.ALLOW_WITH_OBLIGATIONS)


_RANK = {Outcome.ALLOW: 0, Outcome.ALLOW_WITH_OBLIGATIONS: 1, Outcome.NEEDS_REVIEW: 2, Outcome.DENY: 3}


class Severity(StrEnum):
    """What one rule says about one request."""

    INFO = "info"  # the rule applied and is satisfied; kept so the record shows it was checked
    WARN = "warn"  # advice (e.g. non-binding guidance); does not change the outcome
    OBLIGATION = "obligation"  # allowed, provided the obligation is carried out
    REVIEW = "review"  # a person (legal) must decide
    DENY = "deny"


SEVERITY_OUTCOME = {
    Severity.INFO: Outcome.ALLOW,
    Severity.WARN: Outcome.ALLOW,
    Severity.OBLIGATION: Outcome.ALLOW_WITH_OBLIGATIONS,
    Severity.REVIEW: Outcome.NEEDS_REVIEW,
    Severity.DENY: Outcome.DENY,
}


@dataclass(frozen=True)
class Finding:
    severity: Severity
    message: str
    obligation: str | None = None  # obligation code, when severity is OBLIGATION


@dataclass(frozen=True)
class Line:
    """One rule that fired, as stored in the Decision."""

    rule_id: str
    source: str
    source_kind: str
    severity: str
    message: str


@dataclass(frozen=True)
class Obligation:
    code: str
    rule_id: str
    detail: str


@dataclass(frozen=True)
class GateDecision:
    outcome: Outcome
    explanation: str
    lines: tuple[Line, ...]
    obligations: tuple[Obligation, ...]
    grant_ids: tuple[str, ...]
    regimes: tuple[str, ...]
    rule_pack_versions: dict[str, str]
    inputs_sha256: str
    nearest_grant: dict[str, Any] | None = None
    rules_evaluated: tuple[str, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return self.outcome.permits

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = str(self.outcome)
        return data
