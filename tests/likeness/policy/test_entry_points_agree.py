"""The three ways to ask the gate give one answer, for every class of case the gate decides as a lawyer would.

For each situation below (built in the database through the real services), the same aging request is asked:
- on the VFX request page's pre-flight (what an artist sees before submitting),
- through the API what-if (what a rep's or a studio's tools ask),
- and with `manage.py gate_check`, run as a separate process on the request and facts snapshot the what-if
  stored (what a legal team or an auditor re-decides outside the platform).
Each must give the outcome the situation's own law or agreement calls for, the same rule lines and the same
explanation. The expected outcome and rule ids are written from the situation, not read from the gate.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from likeness.common import vocabulary as vocab
from likeness.consent import services as consent
from likeness.jobs.models import LikenessModel, ModelStatus
from likeness.people.models import Performer
from likeness.people.services import performer_create, performer_update, representation_create
from likeness.policy.models import Decision
from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make
from likeness.productions.services import production_create, production_set_labour_action
from tests.conftest import grant_scope
from tests.factories import SPECIFIC, pdf_file

pytestmark = pytest.mark.django_db

TODAY = timezone.now().date()
TARGET_AGE = 30


@dataclass
class Situation:
    performer: Performer
    production: Any
    model: LikenessModel
    use_description: str | None = None  # the planned use the job states (its "Planned use" field)


def _production(w: SimpleNamespace, agreement: str = vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026, **kw: Any) -> Any:
    fields = dict(title="Long Night", studio=w.studio, agreement=agreement, jurisdictions=["US-CA"],
                  release_territories=["US"], release_media=["theatrical"])
    fields.update(kw)
    return production_create(by=w.studio_legal, **fields)


def _grant(w: SimpleNamespace, performer: Performer, production: Any, *, signed_on: dt.date | None = None,
           **scope: Any) -> Any:
    grant = consent.grant_draft_create(performer=performer, productions=[production], by=w.rep, **grant_scope(
        **{"uses": ["training", "de_aging", "aging_up"], **scope}))
    grant = consent.grant_submit(grant=grant, document=pdf_file(), by=w.rep, signed_on=signed_on)
    return consent.grant_approve(grant=grant, by=w.counsel)


def _model(w: SimpleNamespace, performer: Performer, production: Any, grant: Any) -> LikenessModel:
    """A trained model's record (no weights: nothing here runs the engine), under `grant`."""
    decision = decision_make(request=gate_request_build(performer=performer, production=production, use="training",
                                                        replica_types=["icdr"]),
                             performer=performer, production=production, purpose="submit", by=w.vfx)
    return LikenessModel.objects.create(performer=performer, size="tiny", grant=grant, decision=decision,
                                        status=ModelStatus.READY, age_range=[18, 70], weights_sha256="0" * 64)


def _simple(w: SimpleNamespace, *, agreement: str = vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026,
            production_kw: dict[str, Any] | None = None, **scope: Any) -> Situation:
    production = _production(w, agreement, **(production_kw or {}))
    grant = _grant(w, w.performer, production, **scope)
    return Situation(w.performer, production, _model(w, w.performer, production, grant))


def statute_scope(w: SimpleNamespace) -> Situation:
    # Cal. Lab. Code § 927: de-aging materially alters a performance; non-union, vague, no counsel: unenforceable.
    return _simple(w, agreement=vocab.Agreement.NONE, use_description="digital uses", represented_by_counsel=False,
                   union_agreement_covers_replicas=False)


def agreement_in_time(w: SimpleNamespace) -> Situation:
    # Coded under the 2023 agreement, worked after 1 Jul 2026: the 2026 agreement's rules apply too.
    return _simple(w, agreement=vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2023)


def deceased_in_the_eu(w: SimpleNamespace) -> Situation:
    # GDPR does not reach the dead (Recital 27); a consent that ends at death needs the estate's consent.
    situation = _simple(w, posthumous_terms=vocab.PosthumousTerms.LIMITED,
                        production_kw={"jurisdictions": ["FR"], "release_territories": ["FR"]})
    performer_update(performer=w.performer, by=w.rep, domicile="FR", date_of_death=TODAY - dt.timedelta(days=90))
    return situation


def signed_as_a_minor(w: SimpleNamespace) -> Situation:
    # Capacity is judged at signing: 17 then, 18 now, and no guardian's consent.
    born = dt.date(TODAY.year - 18, TODAY.month, 1) - dt.timedelta(days=40)
    young = performer_create(by=w.rep, representing=w.agency, legal_name="Robin Vale", date_of_birth=born,
                             domicile="US-CA", union_memberships=["sag_aftra"])
    representation_create(performer=young, organisation=w.law, kind="counsel", by=w.rep)
    production = _production(w)
    grant = _grant(w, young, production, signed_on=born.replace(year=born.year + 17) + dt.timedelta(days=10),
                   term_start=born.replace(year=born.year + 17) + dt.timedelta(days=10))
    return Situation(young, production, _model(w, young, production, grant))


def commercial_without_planned_use(w: SimpleNamespace) -> Situation:
    # Commercials 2025: no use outside the description given; a request that does not say its use is reviewed.
    return _simple(w, agreement=vocab.Agreement.SAG_AFTRA_COMMERCIALS_2025,
                   production_kw={"release_media": ["advertising"]}, media=["advertising"])


def commercial_as_described(w: SimpleNamespace) -> Situation:
    situation = commercial_without_planned_use(w)
    situation.use_description = SPECIFIC  # the description the performer was given, word for word
    return situation


def commercial_drifted(w: SimpleNamespace) -> Situation:
    situation = commercial_without_planned_use(w)
    situation.use_description = "a thirty-second spot for a sports drink, de-aged to 30"
    return situation


def amended_consent(w: SimpleNamespace) -> Situation:
    # A model trained under v1 stays usable once v2 (narrower ages, training still allowed) supersedes it.
    situation = _simple(w)
    v1 = situation.model.grant
    v2 = consent.grant_amend(grant=v1, by=w.rep, depicted_age_min=28)
    v2 = consent.grant_submit(grant=v2, document=pdf_file(), by=w.rep)
    consent.grant_approve(grant=v2, by=w.counsel)
    return situation


def revoked_consent(w: SimpleNamespace) -> Situation:
    # The studio keeps another consent for training on its other film, so its artists still see the performer.
    situation = _simple(w)
    _grant(w, w.performer, w.production, uses=["training"])
    consent.grant_revoke(grant=situation.model.grant, by=w.rep, reason="performer withdrew")
    return situation


def labour_action(w: SimpleNamespace) -> Situation:
    # A union member on a non-union production flagged under a labour action.
    situation = _simple(w, agreement=vocab.Agreement.NONE)
    production_set_labour_action(production=situation.production, active=True, by=w.studio_legal)
    return situation


def three_failures(w: SimpleNamespace) -> Situation:
    # Ages not covered, and (non-union) no counsel and a vague description: every failure is reported.
    return _simple(w, agreement=vocab.Agreement.NONE, depicted_age_min=35, use_description="digital uses",
                   represented_by_counsel=False, union_agreement_covers_replicas=False)


@dataclass
class Expect:
    outcome: str | tuple[str, ...]
    rules: frozenset[tuple[str, str]]  # (rule id, severity) that must be among the lines
    absent_prefixes: tuple[str, ...] = ()  # rule ids starting with these must not appear


ALLOWED = ("allow", "allow_with_obligations")
CASES: dict[str, tuple[Callable[[SimpleNamespace], Situation], Expect]] = {
    "statute scope": (statute_scope, Expect("deny", frozenset({("CA-LAB-927", "deny")}))),
    "agreement in time": (agreement_in_time, Expect(ALLOWED, frozenset({("GATE-AGREEMENT-TERM", "info")}))),
    "deceased in the EU": (deceased_in_the_eu, Expect("deny", frozenset({("GATE-ESTATE", "deny")}), ("GDPR",))),
    "signed as a minor": (signed_as_a_minor, Expect("deny", frozenset({("GATE-MINOR", "deny")}))),
    "missing planned use": (commercial_without_planned_use,
                            Expect("needs_review", frozenset({("COM25-DESCRIPTION", "review")}))),
    "commercial as described": (commercial_as_described,
                                Expect(ALLOWED, frozenset({("COM25-DESCRIPTION", "info")}))),
    "commercial drifted": (commercial_drifted, Expect("deny", frozenset({("COM25-DESCRIPTION", "deny")}))),
    "amended consent": (amended_consent, Expect(ALLOWED, frozenset({("GATE-MODEL-LINEAGE", "info")}))),
    "revoked consent": (revoked_consent, Expect("deny", frozenset({("GATE-COVERAGE", "deny"),
                                                                   ("GATE-MODEL-LINEAGE", "deny")}))),
    "labour action": (labour_action, Expect("needs_review", frozenset({("GATE-LABOUR-ACTION", "review")}))),
    "three failures": (three_failures, Expect("deny", frozenset({("GATE-COVERAGE", "deny"), ("CA-LAB-927", "deny")}))),
}


def _preflight(w: SimpleNamespace, s: Situation) -> str:
    client = Client()
    client.force_login(w.vfx)
    response = client.get("/jobs/preflight/aging/", {"performer": s.performer.pk, "production": s.production.pk,
                                                     "likeness_model": str(s.model.pk), "target_age": TARGET_AGE,
                                                     "use_description": s.use_description or ""},
                          HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def _age(born: dt.date) -> int:
    return TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))


def _api_body(s: Situation) -> dict[str, Any]:
    """The request an aging job makes, written out as an API client would (de-aging: the target is younger)."""
    return {"performer": s.performer.pk, "production": s.production.pk, "likeness_model": str(s.model.pk),
            "use": "de_aging" if TARGET_AGE < _age(s.performer.date_of_birth) else "aging_up",
            "depicted_age": TARGET_AGE, "media": list(s.production.release_media),
            "territories": list(s.production.release_territories),
            "replica_types": ["digital_alteration", "icdr"],
            **({"use_description": s.use_description} if s.use_description else {})}


def _api(w: SimpleNamespace, body: dict[str, Any]) -> Any:
    client = APIClient()
    client.force_authenticate(w.vfx)
    return client.post("/api/v1/gate/what-if/", body, format="json")


def _gate_check(document: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(document))
    return subprocess.run([sys.executable, "manage.py", "gate_check", str(path)], cwd=settings.BASE_DIR,
                          capture_output=True, text=True, timeout=120)


def _lines(lines: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(ln["rule_id"], ln["severity"]) for ln in lines}


@pytest.mark.parametrize("name", list(CASES))
def test_preflight_what_if_and_gate_check_agree(world, tmp_path, name) -> None:
    build, expect = CASES[name]
    situation = build(world)

    response = _api(world, _api_body(situation))
    assert response.status_code == 201, response.content
    api = response.json()
    stored = Decision.objects.get(pk=api["id"])
    result = _gate_check({"request": stored.request, "facts": stored.facts}, tmp_path)
    assert result.returncode == 0, result.stderr
    offline = json.loads(result.stdout)
    page = _preflight(world, situation)
    situation.model.refresh_from_db()
    if situation.model.status == ModelStatus.QUARANTINED:
        # Revocation quarantined the model: the request page no longer offers it at all, a stricter refusal.
        assert "Model: Select a valid choice" in page and 'data-outcome' not in page
        page = ""

    outcomes = expect.outcome if isinstance(expect.outcome, tuple) else (expect.outcome,)
    assert api["outcome"] in outcomes, api["explanation"]
    assert offline["outcome"] == api["outcome"]
    assert not page or f'data-outcome="{api["outcome"]}"' in page, page
    assert expect.rules <= _lines(api["lines"]), api["lines"]
    assert not [ln for ln in api["lines"] if ln["rule_id"].startswith(expect.absent_prefixes or ("\0",))]
    # The same lines, the same words, everywhere.
    assert _lines(offline["lines"]) == _lines(api["lines"])
    shown = set(re.findall(r'<tr class="sev-(\w+)"><td><code>([A-Z0-9-]+)</code>', page))
    assert not page or {(rule, sev) for sev, rule in shown} == _lines(api["lines"])
    assert offline["explanation"] == api["explanation"]
    assert not page or api["explanation"] in page
    assert offline["inputs_sha256"] == api["inputs_sha256"]


def test_three_failures_are_all_explained(world) -> None:
    api = _api(world, _api_body(three_failures(world))).json()
    text = api["explanation"]
    assert "covers depicted ages 35-45 only; 30 requested" in text
    assert "CA-LAB-927" in text and text.startswith("Denied: coverage:")


def test_malformed_facts_are_refused_by_all_three(world, tmp_path) -> None:
    """A domicile written "us-ca" (in lower case: a record written around the validators, as an import might)
    would drop the California rules if read as a place: all three refuse to decide and name the field."""
    situation = _simple(world)
    good = _api(world, _api_body(situation)).json()
    stored = Decision.objects.get(pk=good["id"])
    Performer.objects.filter(pk=situation.performer.pk).update(domicile="us-ca")
    decisions = Decision.objects.count()

    response = _api(world, _api_body(situation))
    assert response.status_code == 400 and "facts.performer.domicile" in response.json(), response.content
    page = _preflight(world, situation)
    assert "Not checked yet" in page and "facts.performer.domicile: unknown place 'us-ca'" in page
    facts = {**stored.facts, "performer": {**stored.facts["performer"], "domicile": "us-ca"}}
    result = _gate_check({"request": stored.request, "facts": facts}, tmp_path)
    assert result.returncode == 2 and "facts.performer.domicile: unknown place 'us-ca'" in result.stderr
    assert Decision.objects.count() == decisions  # nothing decided, nothing stored
