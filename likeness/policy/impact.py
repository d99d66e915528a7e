"""What a rule-pack update would change: stored Decisions re-decided with the installed rules, from the request
and the snapshot of facts each was made on (so the answer does not depend on what the database holds today)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from likeness.policy.facts import FactsError, GateFacts, GateRequest, parse
from likeness.policy.gate import evaluate
from likeness.policy.models import Decision


@dataclass(frozen=True)
class Impact:
    decision_id: str
    created: str
    use: str
    old_outcome: str
    new_outcome: str
    failing_added: tuple[str, ...]
    failing_removed: tuple[str, ...]
    old_versions: dict[str, str]
    problem: str = ""  # the stored facts no longer pass validation: what is wrong

    @property
    def changed(self) -> bool:
        return bool(self.problem) or self.old_outcome != self.new_outcome or bool(
            self.failing_added or self.failing_removed)


def _failing(lines: Iterable[dict[str, Any]]) -> set[str]:
    """Rules that fired with consequences: denials, reviews, warnings and obligations (not information)."""
    return {ln["rule_id"] for ln in lines if ln.get("severity") != "info"}


def decisions_under_pack(version: str) -> Iterable[Decision]:
    """Decisions that any pack of version `version` took part in, oldest first."""
    for decision in Decision.objects.select_related("facts_from").order_by("created_at").iterator(chunk_size=500):
        if version in (decision.rule_pack_versions or {}).values():
            yield decision


def redecide(decision: Decision) -> Impact:
    base: dict[str, Any] = dict(decision_id=str(decision.pk), created=decision.created_at.isoformat(timespec="minutes"),
                                use=decision.use, old_outcome=decision.outcome,
                                old_versions=dict(decision.rule_pack_versions))
    try:
        result = evaluate(parse(GateRequest, decision.request, "request"),
                          parse(GateFacts, decision.facts_snapshot, "facts"))
    except FactsError as exc:
        return Impact(new_outcome="invalid", failing_added=(), failing_removed=(),
                      problem="; ".join(f"{k}: {v}" for k, v in exc.errors.items()), **base)
    old, new = _failing(decision.lines), _failing(result.as_dict()["lines"])
    return Impact(new_outcome=result.outcome.value, failing_added=tuple(sorted(new - old)),
                  failing_removed=tuple(sorted(old - new)), **base)
