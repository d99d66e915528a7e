"""`manage.py rules_impact --pack VERSION`: Decisions stored under an older rule pack, re-decided with the installed
rules. The stored Decisions here are written as the 2026.11.1 packs decided them; the issue names that release's
mistake (a non-union de-aging with a vague, unrepresented grant was allowed, though California § 927 makes the
grant unenforceable for an altered performance)."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from likeness.audit.services import to_jsonable
from likeness.policy.facts import plain
from likeness.policy.models import Decision
from tests.factories import facts, grant, performer, production, request

pytestmark = pytest.mark.django_db
OLD = {"PLATFORM": "2026.11.1", "CA": "2026.11.1", "EU-AIA": "2026.11.1"}


def stored(world, outcome: str, lines: list[dict], **grant_kw) -> Decision:
    req = request(replica_types=("digital_alteration",))
    snapshot = facts(grant(**grant_kw), performer=performer(domicile="US-CA"),
                     production=production(agreement="none", jurisdictions=("US-CA",)))
    return Decision.objects.create(
        purpose="what_if", performer=world.performer, production=world.production, use=req.use, outcome=outcome,
        explanation="as the 2026.11.1 packs decided", lines=lines, rule_pack_versions=OLD,
        request=to_jsonable(plain(req)), facts=to_jsonable(plain(snapshot)), inputs_sha256="0" * 64)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("rules_impact", *args, stdout=out)
    return out.getvalue()


def test_lists_the_decisions_the_update_would_change(world) -> None:
    # The old packs allowed both (US release only: no EU obligations); the second still is.
    wrong = stored(world, "allow", [{"rule_id": "CA-LAB-927", "severity": "info"}],
                   use_description="digital uses", represented_by_counsel=False, union_agreement_covers_replicas=False)
    unchanged = stored(world, "allow", [{"rule_id": "CA-LAB-927", "severity": "info"}])
    text = run("--pack", "2026.11.1")
    assert "2 re-decided, 1 would change" in text, text
    assert str(wrong.pk)[:8] in text and "-> deny" in text and "now firing: CA-LAB-927" in text
    assert str(unchanged.pk)[:8] not in text
    rows = [json.loads(line) for line in run("--pack", "2026.11.1", "--json").splitlines()]
    assert [(r["decision_id"], r["old_outcome"], r["new_outcome"]) for r in rows] == [
        (str(wrong.pk), "allow", "deny")]


def test_stored_facts_the_gate_now_refuses_are_listed_with_the_reason(world) -> None:
    stored(world, "allow", [], status="active", revoked_at="2026-10-01T00:00:00+00:00")
    text = run("--pack", "2026.11.1")
    assert "stored facts now refused" in text and "revoked_at" in text


def test_other_versions_are_left_alone(world) -> None:
    stored(world, "allow", [])
    assert "0 re-decided, 0 would change" in run("--pack", "2025.01.1")
