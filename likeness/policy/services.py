"""Running the gate for the platform: load facts, evaluate, persist the Decision with its audit event."""
from __future__ import annotations

import dataclasses

from django.contrib.auth.models import User
from django.db import transaction

from likeness.access.predicates import may_ask_gate_about, require
from likeness.audit.services import audit_record
from likeness.common.hashing import sha256_json, to_jsonable
from likeness.consent.models import ConsentGrant
from likeness.people.models import Performer
from likeness.policy.facts import GateRequest, plain
from likeness.policy.gate import evaluate
from likeness.policy.models import Decision, DecisionPurpose
from likeness.policy.selectors import gate_facts
from likeness.productions.models import Production


@transaction.atomic
def decision_make(
    *,
    request: GateRequest,
    performer: Performer,
    production: Production,
    purpose: str,
    by: User | None,
    after: Decision | None = None,
) -> Decision:
    """Evaluate `request` against the facts as they are now in the database and store the Decision.

    `after` is the previous decision of the same job or preview: when the facts are the same as the ones it saw
    (the usual case between two chunks of frames), this decision stores no copy of them but points at the
    decision that holds them, so a long render does not store the performer's whole file once per chunk.

    Raises FactsError (a 400 for callers) when the request cannot be decided at all.
    """
    facts = gate_facts(performer=performer, production=production)
    result = evaluate(request, facts)
    snapshot = to_jsonable(plain(facts))
    facts_sha256 = sha256_json(snapshot)
    holder = after.facts_from if after is not None and after.facts_from_id else after
    same = holder is not None and holder.facts_sha256 == facts_sha256
    decision = Decision(
        purpose=purpose,
        performer=performer,
        production=production,
        use=request.use,
        outcome=str(result.outcome),
        explanation=result.explanation,
        lines=to_jsonable([dataclasses.asdict(line) for line in result.lines]),
        obligations=to_jsonable([dataclasses.asdict(o) for o in result.obligations]),
        regimes=list(result.regimes),
        rule_pack_versions=result.rule_pack_versions,
        nearest_grant=to_jsonable(result.nearest_grant),
        request=to_jsonable(plain(request)),
        facts={} if same else snapshot,
        facts_sha256=facts_sha256,
        facts_from=holder if same else None,
        inputs_sha256=result.inputs_sha256,
        requested_by=by,
    )
    decision.save()
    if result.grant_ids:
        decision.grants.set(ConsentGrant.objects.filter(pk__in=[int(g) for g in result.grant_ids]))
    audit_record(
        actor=by,
        action="decision.made",
        obj=decision,
        data={"purpose": purpose, "outcome": decision.outcome, "use": request.use,
              "performer": performer.pk, "production": production.pk, "grants": list(result.grant_ids),
              "inputs_sha256": result.inputs_sha256, "rule_packs": result.rule_pack_versions},
    )
    return decision


def decision_what_if(*, request: GateRequest, performer: Performer, production: Production,
                     by: User) -> Decision:
    """Ask the gate before doing anything; the Decision is stored like any other. Only about a performer the
    user may act for, and a production their organisation may act for: anything else writes nothing."""
    require(may_ask_gate_about(by, performer, production),
            "you may ask the gate only about performers you act for and productions your organisation acts for")
    return decision_make(request=request, performer=performer, production=production,
                         purpose=DecisionPurpose.WHAT_IF, by=by)
