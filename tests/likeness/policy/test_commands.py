"""gate_check (a contract tested from JSON, no database) and the generated rule catalogue."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from likeness.policy.catalogue import render_catalogue
from likeness.policy.rules import REGISTRY

EXAMPLE = Path(settings.BASE_DIR) / "docs" / "examples" / "gate_check_deaging.json"


def run_gate_check(document: object, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return subprocess.run([sys.executable, "manage.py", "gate_check", str(path)], cwd=settings.BASE_DIR,
                          capture_output=True, text=True, timeout=120)


def test_documented_example_decides(tmp_path):
    result = run_gate_check(json.loads(EXAMPLE.read_text()), tmp_path)
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["outcome"] == "deny"
    assert "grant v3" in decision["explanation"] and "25-45" in decision["explanation"]
    assert decision["nearest_grant"]["gaps"][0]["dimension"] == "depicted_age"


def test_changing_the_contract_changes_the_answer(tmp_path):
    document = json.loads(EXAMPLE.read_text())
    document["facts"]["grants"][0]["depicted_age_min"] = 18
    result = run_gate_check(document, tmp_path)
    decision = json.loads(result.stdout)
    assert decision["outcome"] == "allow_with_obligations", decision["explanation"]
    assert {o["code"] for o in decision["obligations"]} == {"c2pa_ai_marking", "ai_disclosure"}
    assert len(decision["inputs_sha256"]) == 64


@pytest.mark.parametrize(("document", "message"), [
    ("{not json", "not valid JSON"),
    ({"request": {}}, "exactly the keys"),
    ({"request": {"use": "de_aging"}, "facts": {"performer": {}}}, "request.performer_id: this field is required"),
    ({"request": {"performer_id": "a", "production_id": "b", "use": "de_aging", "at": "2026-01-01T00:00:00"},
      "facts": {"performer": {"id": "a", "name": "A", "date_of_birth": "1990-01-01", "domicile": "GB"},
                "production": {"id": "b", "title": "B"}, "grants": [], "colour": "red"}},
     "needs a time zone"),
    ({"request": {"performer_id": "a", "production_id": "b", "use": "teleport", "at": "2026-01-01T00:00:00Z"},
      "facts": {"performer": {"id": "a", "name": "A", "date_of_birth": "1990-01-01", "domicile": "GB"},
                "production": {"id": "b", "title": "B"}}}, "request.use: unknown code(s): teleport"),
])
def test_bad_input_exits_2_with_the_field(tmp_path, document, message):
    result = run_gate_check(document, tmp_path)
    assert result.returncode == 2
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_rule_catalogue_is_up_to_date():
    """docs/rules.md is generated from the registry; regenerate with `python manage.py rules_doc`."""
    path = Path(settings.BASE_DIR) / "docs" / "rules.md"
    assert path.read_text(encoding="utf-8") == render_catalogue(), "docs/rules.md is stale: run manage.py rules_doc"
    text = path.read_text(encoding="utf-8")
    for rule_id, rule in REGISTRY.items():
        assert f"| {rule_id} |" in text
        assert rule.source_kind in {"primary", "secondary", "guidance", "bill", "platform"}


def test_rules_doc_check_fails_on_a_stale_file(tmp_path):
    stale = tmp_path / "rules.md"
    stale.write_text(render_catalogue().replace("GDPR-9", "GDPR-99"))
    with pytest.raises(CommandError, match="stale"):
        call_command("rules_doc", "--check", "--output", str(stale))
    call_command("rules_doc", "--output", str(stale))
    call_command("rules_doc", "--check", "--output", str(stale))


def test_malformed_facts_are_refused_with_every_bad_field_named(tmp_path):
    """Each contradiction the gate used to decide: an active grant with a revocation date, a death before the
    birth, an inverted age range, a term ending before it starts, an unknown medium or status, an agreement code
    in capitals (which silently dropped the union rules), a domicile written out (which dropped California's)."""
    document = json.loads(EXAMPLE.read_text())
    facts = document["facts"]
    facts["performer"].update(domicile="California", date_of_death="1950-01-01")
    facts["production"]["agreement"] = facts["production"].get("agreement", "none").upper() or "NONE"
    first = facts["grants"][0]
    first.update(status="active", revoked_at="2026-10-01T00:00:00Z", depicted_age_min=45, depicted_age_max=25,
                 term_start="2026-06-01", term_end="2026-01-01", media=["theatrical", "hologram"])
    facts["grants"].append({**first, "id": "other", "version": 9, "status": "pending", "revoked_at": None,
                            "depicted_age_min": 25, "depicted_age_max": 45, "term_start": "2026-01-01",
                            "term_end": "2027-01-01", "media": ["theatrical"]})
    result = run_gate_check(document, tmp_path)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    for field in ("facts.performer.domicile", "facts.performer.date_of_death", "facts.production.agreement",
                  "facts.grants[0].revoked_at", "facts.grants[0].depicted_age_max", "facts.grants[0].term_end",
                  "facts.grants[0].media", "facts.grants[1].status"):
        assert field in result.stderr, (field, result.stderr)
    assert result.stdout == ""  # no Decision at all


SUITE = Path(settings.BASE_DIR) / "docs" / "examples" / "suite"


def run_suite(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "gate_check", "--suite", str(folder)],
                          cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120)


def test_the_documented_suite_passes() -> None:
    result = run_suite(SUITE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed, 0 failed, 3 scenarios" in result.stdout
    assert result.stdout.count("pass ") == 3


def test_a_scenario_that_decides_otherwise_fails_the_suite(tmp_path):
    for source in SUITE.glob("*.json"):
        (tmp_path / source.name).write_text(source.read_text())
    changed = json.loads((tmp_path / "02-flashback-at-30-allowed.json").read_text())
    changed["facts"]["grants"][0]["depicted_age_max"] = 29  # the template was narrowed: the scenario now fails
    (tmp_path / "02-flashback-at-30-allowed.json").write_text(json.dumps(changed))
    (tmp_path / "04-broken.json").write_text(json.dumps({"request": {}, "facts": {}, "expect": {"outcome": "maybe"}}))
    result = run_suite(tmp_path)
    assert result.returncode == 1
    rows = {line.split()[1]: line.split()[0] for line in result.stdout.splitlines() if line.endswith(".json")
            or ".json " in line}
    assert rows == {"01-flashback-at-19-outside-the-consent.json": "pass", "02-flashback-at-30-allowed.json": "FAIL",
                    "03-non-union-vague-unrepresented.json": "pass", "04-broken.json": "ERROR"}, result.stdout
    assert "outcome deny, expected allow_with_obligations" in result.stdout
    assert "expect.outcome 'maybe'" in result.stdout
    assert "2 passed, 2 failed, 4 scenarios" in result.stdout
