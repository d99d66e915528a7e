"""Bad input gets a 400 with a field-level message, and nothing is written: no row, no audit event, no file."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from likeness.audit.models import AuditEvent
from likeness.consent import services as consent
from likeness.consent.models import ConsentGrant
from likeness.policy.models import Decision
from tests.conftest import grant_scope
from tests.factories import pdf_bytes, pdf_file

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def state() -> tuple[int, int, int, int]:
    media = Path(settings.MEDIA_ROOT)
    files = sum(1 for p in media.rglob("*") if p.is_file()) if media.exists() else 0
    return ConsentGrant.objects.count(), AuditEvent.objects.count(), Decision.objects.count(), files


def body(w, **overrides):
    data = grant_scope()
    data.update(performer=w.performer.pk, productions=[w.production.pk], term_start=str(data["term_start"]),
                term_end=str(data["term_end"]), description_given_at=data["description_given_at"].isoformat())
    data.update(overrides)
    return data


def assert_400(response, field: str, words: str = "") -> None:
    assert response.status_code == 400, (response.status_code, getattr(response, "data", None))
    payload = response.json()
    assert field in payload, payload
    if words:
        assert words in str(payload[field]), payload


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"depicted_age_min": 50, "depicted_age_max": 20}, "depicted_age_max", "inverted"),
    ({"term_start": "2027-01-01", "term_end": "2026-01-01"}, "term_end", "before it starts"),
    ({"uses": ["de_aging", "teleport"]}, "uses", "unknown use code(s): teleport"),
    ({"territories": ["EU"]}, "territories", "unknown territory code(s): EU"),
    ({"productions": []}, "productions", ""),
    ({"depicted_age_min": "young"}, "depicted_age_min", "valid integer"),
])
def test_bad_grant_draft(world, overrides, field, words):
    before = state()
    assert_400(client_for(world.rep).post("/api/v1/grants/", body(world, **overrides), format="json"), field, words)
    assert state() == before


def test_amending_a_revoked_grant(world, make_grant):
    grant = make_grant()
    consent.grant_revoke(grant=grant, by=world.counsel, reason="withdrawn")
    before = state()
    response = client_for(world.rep).post(f"/api/v1/grants/{grant.pk}/amend/", {"depicted_age_max": 50},
                                          format="json")
    assert_400(response, "status", "only an active grant can be amended")
    assert state() == before


@pytest.mark.parametrize(("payload", "name", "words"), [
    (b"PK\x03\x04 this is a zip", "contract.pdf", "not a PDF"),
    (b"%PDF-1.4 truncated garbage", "contract.pdf", "cannot be read"),
])
def test_document_that_is_not_a_pdf(world, payload, name, words):
    draft = consent.grant_draft_create(performer=world.performer, productions=[world.production], by=world.rep,
                                       **grant_scope())
    before = state()
    upload = io.BytesIO(payload)
    upload.name = name
    response = client_for(world.rep).post(f"/api/v1/grants/{draft.pk}/submit/", {"document": upload},
                                          format="multipart")
    assert_400(response, "document", words)
    assert state() == before
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_document_over_the_size_limit(world, settings):
    settings.CONSENT_DOCUMENT_MAX_BYTES = len(pdf_bytes()) - 1
    draft = consent.grant_draft_create(performer=world.performer, productions=[world.production], by=world.rep,
                                       **grant_scope())
    before = state()
    response = client_for(world.rep).post(f"/api/v1/grants/{draft.pk}/submit/", {"document": pdf_file()},
                                          format="multipart")
    assert_400(response, "document", "limit")
    assert state() == before


def test_activation_by_the_person_who_drafted(world):
    grant = consent.grant_submit(grant=consent.grant_draft_create(
        performer=world.performer, productions=[world.production], by=world.rep, **grant_scope()),
        document=pdf_file(), by=world.rep)
    before = state()
    assert_400(client_for(world.rep).post(f"/api/v1/grants/{grant.pk}/approve/"), "approved_by", "second person")
    assert state() == before


def test_what_if_with_unknown_codes_and_missing_dimensions(world, make_grant):
    make_grant()
    client = client_for(world.vfx)
    before = state()
    base = {"performer": world.performer.pk, "production": world.production.pk}
    assert_400(client.post("/api/v1/gate/what-if/", {**base, "use": "cloning"}, format="json"), "use")
    assert_400(client.post("/api/v1/gate/what-if/", {**base, "use": "de_aging", "media": ["theatrical"],
                                                     "territories": ["US"]}, format="json"),
               "request.depicted_age", "required")
    assert_400(client.post("/api/v1/gate/what-if/", {**base, "use": "de_aging", "depicted_age": 300},
                           format="json"), "depicted_age")
    assert state() == before


def test_reference_material_age_must_match_birth_year(world):
    before = state()
    response = client_for(world.rep).post("/api/v1/reference-materials/", {
        "performer": world.performer.pk, "title": "Harbour Lights", "year": 1986, "performer_age": 40,
        "rights_basis": "studio_owned", "sha256": "ab" * 32}, format="json")
    assert_400(response, "performer_age", "born in 1961")
    assert state() == before


def test_performer_with_unknown_domicile(world):
    before = state()
    response = client_for(world.rep).post("/api/v1/performers/", {
        "legal_name": "X", "date_of_birth": "1990-01-01", "domicile": "Atlantis",
        "representing_organisation": world.agency.pk}, format="json")
    assert_400(response, "domicile")
    assert state() == before


def test_editing_an_active_grant_in_place_is_refused(world, make_grant):
    grant = make_grant()
    before = state()
    response = client_for(world.rep).patch(f"/api/v1/grants/{grant.pk}/", {"depicted_age_max": 80}, format="json")
    assert_400(response, "status", "only drafts can be edited")
    assert state() == before


# The causes of a server error an outside test found, each now a 400 that names what is wrong.
HUGE = "9" * 30
BAD_QUERIES = [
    "/api/v1/grants/?limit=99999999999999999999", "/api/v1/grants/?performer=abc", f"/api/v1/grants/?performer={HUGE}",
    "/api/v1/grants/?family=not-a-uuid", "/api/v1/decisions/?performer=abc", "/api/v1/decisions/?production=1.5",
    f"/api/v1/decisions/?production={HUGE}", "/api/v1/jobs/?performer=abc", "/api/v1/jobs/?production=%00",
    "/api/v1/models/?performer=abc", "/api/v1/provenance/outputs/?performer=abc", "/api/v1/grants/?offset=-5",
    "/api/v1/audit/events/?object_id=" + "x" * 5000,
]


@pytest.mark.parametrize("url", BAD_QUERIES)
def test_bad_query_parameters_never_cause_a_server_error(world, make_grant, url):
    make_grant()
    for who in (world.rep, world.auditor, world.vfx):
        response = client_for(who).get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code == 400:
            assert response.json(), "a 400 says what is wrong"


def test_limit_is_capped(world, make_grant):
    make_grant()
    response = client_for(world.rep).get("/api/v1/grants/?limit=99999999999999999999")
    assert response.status_code == 200 and response.json()["count"] >= 1


def test_a_non_integer_filter_is_a_400_that_names_the_field(world):
    response = client_for(world.rep).get("/api/v1/grants/?performer=abc")
    assert response.status_code == 400 and "performer" in response.json()


@pytest.mark.parametrize("against", ["abc", "", "1.5", HUGE, "-1"])
def test_diff_against_a_non_id_is_a_400(world, make_grant, against):
    grant = make_grant()
    response = client_for(world.rep).get(f"/api/v1/grants/{grant.pk}/diff/?against={against}")
    assert response.status_code == 400 and "against" in response.json()


def test_deeply_nested_json_is_a_400_and_writes_nothing(world):
    before = state()
    nested = "[" * 200_000 + "]" * 200_000
    for url in ("/api/v1/grants/", "/api/v1/gate/what-if/", "/api/v1/performers/"):
        response = client_for(world.rep).post(url, nested, content_type="application/json")
        assert response.status_code == 400 and "deeper" in response.json()["detail"], url
    assert state() == before
