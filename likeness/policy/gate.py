"""The gate: a pure function from a request and its facts to a Decision. No I/O.

Deny by default: a request is allowed only if active grants cover every dimension of it and no rule of an
applicable regime forbids it. Every applicable rule is evaluated; the strictest outcome wins.
"""
from __future__ import annotations

from likeness.common.hashing import sha256_json
from likeness.policy.coverage import covering_grants, explain_gaps, nearest_grant
from likeness.policy.facts import FactsError, GateFacts, GateRequest, GrantFacts, plain, validate_facts, validate_request
from likeness.policy.outcomes import (
    SEVERITY_OUTCOME,
    Finding,
    GateDecision,
    Line,
    Obligation,
    Outcome,
    Severity,
)
from likeness.policy.regimes import RULE_PACK_VERSIONS, applicable_regimes
from likeness.policy.rules import REGISTRY, RuleContext
from likeness.policy.rules.platform import COVERAGE, SPLIT


def _line(rule_id: str, finding: Finding) -> Line:
    r = REGISTRY[rule_id]
    return Line(rule_id=rule_id, source=r.source, source_kind=r.source_kind, severity=str(finding.severity),
                message=finding.message)


def _evaluate_rules(request: GateRequest, facts: GateFacts, grants: tuple[GrantFacts, ...],
                    regimes: frozenset[str]) -> tuple[list[Line], list[Obligation], list[str]]:
    ctx = RuleContext(request=request, facts=facts, grants=grants, regimes=regimes)
    lines: list[Line] = []
    obligations: list[Obligation] = []
    evaluated: list[str] = []
    for rule in REGISTRY.values():
        if rule.check is None or not (rule.regimes & regimes):
            continue
        evaluated.append(rule.id)
        finding = rule.check(ctx)
        if finding is None:
            continue
        lines.append(_line(rule.id, finding))
        if finding.severity == Severity.OBLIGATION and finding.obligation:
            obligations.append(Obligation(code=finding.obligation, rule_id=rule.id, detail=finding.message))
    return lines, obligations, evaluated


def _outcome(lines: list[Line]) -> Outcome:
    outcome = Outcome.ALLOW
    for line in lines:
        candidate = SEVERITY_OUTCOME[Severity(line.severity)]
        if candidate.rank > outcome.rank:
            outcome = candidate
    return outcome


UNION_REGIMES = frozenset({"SAG23", "SAG26", "IMA25", "COM25", "EQUITY"})
GROUP_ORDER = ("coverage", "union", "law", "platform")


def _group(rule_id: str) -> str:
    if rule_id in (COVERAGE.id, SPLIT.id):
        return "coverage"
    regimes = REGISTRY[rule_id].regimes
    if regimes & UNION_REGIMES:
        return "union"
    return "platform" if regimes <= {"PLATFORM"} else "law"


def _listed(lines: list[Line], severity: str) -> str:
    """Every line of one severity, grouped (coverage, union, law, platform), each with its rule id."""
    parts = []
    for group in GROUP_ORDER:
        found = [f"[{ln.rule_id}] {ln.message}." for ln in lines if ln.severity == severity and _group(ln.rule_id)
                 == group]
        if found:
            parts.append(f"{group}: " + " ".join(found))
    return " ".join(parts)


def _explain(outcome: Outcome, lines: list[Line], grants: tuple[GrantFacts, ...]) -> str:
    if outcome == Outcome.DENY:
        text = "Denied: " + _listed(lines, "deny")
        if any(ln.severity == "review" for ln in lines):
            text += " Also for legal review: " + _listed(lines, "review")
    elif outcome == Outcome.NEEDS_REVIEW:
        text = "Needs legal review: " + _listed(lines, "review")
    else:
        used = ", ".join(g.label for g in grants)
        obligations = [ln for ln in lines if ln.severity == "obligation"]
        text = f"Allowed under {used}" + (", with obligations: " + " ".join(
            f"[{ln.rule_id}] {ln.message}." for ln in obligations) if obligations else ".")
    if any(ln.severity == "warn" for ln in lines):
        text += " Warnings: " + _listed(lines, "warn")
    return text


def inputs_digest(request: GateRequest, facts: GateFacts, versions: dict[str, str]) -> str:
    """One hash over everything the gate saw: the request, performer, production, every grant (by its own
    digest of all its fields, in order) and the rule-pack versions."""
    return sha256_json({
        "request": plain(request), "performer": plain(facts.performer), "production": plain(facts.production),
        "grants": [g.digest for g in facts.grants], "extra_rule_packs": list(facts.extra_rule_packs),
        "rule_packs": versions,
    })


def evaluate(request: GateRequest, facts: GateFacts) -> GateDecision:
    """Decide one request. Raises FactsError, naming every bad field, when the request or the facts cannot be
    decided (unknown codes, contradictions): invalid facts are refused, never decided."""
    errors = validate_request(request) | validate_facts(facts)
    if request.performer_id != facts.performer.id:
        errors["request.performer_id"] = "does not match the performer in the facts"
    if request.production_id != facts.production.id:
        errors["request.production_id"] = "does not match the production in the facts"
    if errors:
        raise FactsError(errors)

    regimes = applicable_regimes(request, facts)
    versions = {r: RULE_PACK_VERSIONS[r] for r in sorted(regimes)}
    inputs_sha256 = inputs_digest(request, facts, versions)
    own = tuple(g for g in facts.grants if g.performer_id == request.performer_id)

    # Alternatives: each grant that covers everything on its own, best first.
    candidates: list[tuple[GrantFacts, ...]] = [(g,) for g in sorted(
        covering_grants(own, request, request.replica_types), key=lambda g: -g.version)]
    split_gap: list[str] = []
    if not candidates and len(request.replica_types) > 1:
        # Several replica types may rest on several grants (alteration consent + ICDR consent).
        per_type = {t: covering_grants(own, request, (t,)) for t in request.replica_types}
        if all(per_type.values()):
            candidates = [tuple({g.id: g for t in request.replica_types
                                 for g in sorted(per_type[t], key=lambda g: -g.version)[:1]}.values())]
        elif any(per_type.values()):
            split_gap = [t for t, gs in per_type.items() if not gs]

    if not candidates:
        nearest = nearest_grant(own, request, facts.production.title)
        if split_gap:
            finding = Finding(Severity.REVIEW, "consent covers only part of the request; no active grant covers "
                              + ", ".join(t.replace("_", " ") for t in split_gap) + " for this use; legal must review")
            lines = [_line(SPLIT.id, finding)]
        elif nearest is None:
            lines = [_line(COVERAGE.id, Finding(Severity.DENY, "no consent grant is on file for this performer"))]
        else:
            grant, gaps = nearest
            lines = [_line(COVERAGE.id, Finding(Severity.DENY, explain_gaps(grant, gaps)))]
            if grant.status == "revoked" and "GDPR" in regimes:
                lines.append(_line("GDPR-7", Finding(Severity.DENY, f"consent ({grant.label}) was withdrawn; no "
                                                                    "new processing from then on")))
            # Everything else the closest grant would still fail, so a draft lacking three things shows three.
            reported = {ln.rule_id for ln in lines}
            lines += [ln for ln in _evaluate_rules(request, facts, (grant,), regimes)[0]
                      if ln.severity in ("deny", "review", "warn") and ln.rule_id not in reported]
        outcome = _outcome(lines)
        near = None
        if nearest is not None:
            near = {"grant_id": nearest[0].id, "version": nearest[0].version,
                    "gaps": [{"dimension": g.dimension, "text": g.text} for g in nearest[1]]}
        return GateDecision(outcome=outcome, explanation=_explain(outcome, lines, ()), lines=tuple(lines),
                            obligations=(), grant_ids=(), regimes=tuple(sorted(regimes)),
                            rule_pack_versions=versions, inputs_sha256=inputs_sha256, nearest_grant=near)

    # Evaluate every alternative and keep the most permissive (first best on ties: the newest version).
    best: tuple[Outcome, list[Line], list[Obligation], list[str], tuple[GrantFacts, ...]] | None = None
    for grants in candidates:
        lines, obligations, evaluated = _evaluate_rules(request, facts, grants, regimes)
        outcome = _outcome(lines)
        if best is None or outcome.rank < best[0].rank:
            best = (outcome, lines, obligations, evaluated, grants)
    assert best is not None
    outcome, lines, obligations, evaluated, grants = best
    return GateDecision(
        outcome=outcome,
        explanation=_explain(outcome, lines, grants),
        lines=tuple(lines),
        obligations=tuple(obligations),
        grant_ids=tuple(g.id for g in grants),
        regimes=tuple(sorted(regimes)),
        rule_pack_versions=versions,
        inputs_sha256=inputs_sha256,
        rules_evaluated=tuple([COVERAGE.id, *evaluated]),
    )


__all__ = ["FactsError", "evaluate"]
