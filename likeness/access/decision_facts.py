"""A Decision's facts snapshot as one viewer may read it.

The gate sees every grant of the performer; a viewer sees only the grants they may see, and the contract and
compensation fields only of grants they may read in full.
"""
from __future__ import annotations

from typing import Any

from likeness.access import scope
from likeness.access.reach import Reach, User, reach_of
from likeness.policy.models import Decision

# GrantFacts fields that carry the contract or its money.
CONFIDENTIAL_GRANT_FACTS = frozenset({"compensation_terms", "compensation_days_estimate", "realtime_pay_multiple",
                                      "document_sha256"})


def decision_facts_for(user: User | Reach, decision: Decision) -> dict[str, Any]:
    reach = user if isinstance(user, Reach) else reach_of(user)
    facts = dict(decision.facts_snapshot or {})
    grants = [g for g in facts.get("grants", []) if isinstance(g, dict)]
    ids = [int(g["id"]) for g in grants if str(g.get("id", "")).isdigit()]
    visible = {str(pk) for pk in scope.grants_visible_to(reach).filter(pk__in=ids).values_list("pk", flat=True)}
    full = {str(pk) for pk in scope.grants_confidential_to(reach).filter(pk__in=ids).values_list("pk", flat=True)}
    shown = []
    for g in grants:
        gid = str(g.get("id"))
        if gid not in visible:
            continue
        shown.append(g if gid in full else {k: v for k, v in g.items() if k not in CONFIDENTIAL_GRANT_FACTS})
    facts["grants"] = shown
    return facts
