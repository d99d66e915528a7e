"""Every API endpoint for every role, including users of another organisation and anonymous visitors.

Each row names the request and the status each role must get. Roles: the performer's talent rep and counsel,
a rep of another agency, the studio's legal, VFX artist, VFX supervisor and admin, a VFX artist of another
studio, an auditor, and an anonymous visitor.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from likeness.accounts.services import api_token_create
from likeness.audit.models import AuditEvent
from likeness.consent import services as consent
from likeness.jobs.models import Job, LikenessModel
from likeness.people.services import reference_material_create
from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make
from tests.conftest import build_world, grant_make, grant_scope, shared_records
from tests.factories import pdf_file

ROLES = ("anon", "rep", "counsel", "other_rep", "studio_legal", "vfx", "supervisor", "studio_admin", "other_vfx",
         "other_legal", "auditor", "other_auditor", "vfx_auditor")


def everyone(status: int, **overrides: int) -> dict[str, int]:
    table = {role: status for role in ROLES}
    table["anon"] = 401
    table.update(overrides)
    return table


def only(status: int, roles: dict[str, int] | tuple[str, ...], default: int = 403) -> dict[str, int]:
    table = {role: default for role in ROLES}
    table["anon"] = 401  # not signed in: "authenticate", whatever the route
    if isinstance(roles, dict):
        table.update(roles)
    else:
        table.update({r: status for r in roles})
    return table


def _draft(w: Any) -> Any:
    return consent.grant_draft_create(performer=w.performer, productions=[w.production], by=w.rep, **grant_scope())


def _submitted(w: Any) -> Any:
    return consent.grant_submit(grant=_draft(w), document=pdf_file(), by=w.rep)


def _grant_body(w: Any) -> dict[str, Any]:
    body = grant_scope()
    body.update(performer=w.performer.pk, productions=[w.production.pk], term_start=str(body["term_start"]),
                term_end=str(body["term_end"]), description_given_at=body["description_given_at"].isoformat())
    return body


# Roles with no relationship to this world's performer, studio and representatives: another agency, another
# studio's VFX and legal, and an audit firm engaged on the other studio only. They see none of its records.
OUTSIDE = ("other_rep", "other_vfx", "other_legal", "other_auditor")
NOT_FOUND_OUTSIDE = {r: 404 for r in OUTSIDE}
# Writes with an id outside one's reach: the id is "not found" in the bound field (400), nothing is written.
BOUND_400 = {"other_rep": 400, "other_vfx": 400, "other_legal": 400, "vfx_auditor": 400}
READ_ONLY = {"auditor": 403, "other_auditor": 403}
SEES_PERFORMER = everyone(200, **NOT_FOUND_OUTSIDE)
# (name, method, path(w) -> str, body(w) -> dict | None, multipart, expected)
Row = tuple[str, str, Callable[[Any], str], Callable[[Any], Any] | None, bool, dict[str, int]]
MATRIX: list[Row] = [
    # Tokens are one's own: everyone lists theirs; only the owner revokes one (others do not even find it).
    ("api tokens list", "get", lambda w: "/api/v1/auth/tokens/", None, False, everyone(200)),
    ("api token revoke", "delete",
     lambda w: f"/api/v1/auth/tokens/{api_token_create(user=w.rep, name='script')[0].token_key}/", None, False,
     only(204, {"rep": 204}, default=404)),
    ("organisations list", "get", lambda w: "/api/v1/organisations/", None, False, everyone(200)),
    ("organisation detail", "get", lambda w: f"/api/v1/organisations/{w.studio.pk}/", None, False,
     only(200, {"studio_legal": 200, "vfx": 200, "supervisor": 200, "studio_admin": 200, "auditor": 200,
                "vfx_auditor": 200, "rep": 404, "counsel": 404, **NOT_FOUND_OUTSIDE})),
    ("membership remove", "delete", lambda w: f"/api/v1/memberships/{w.supervisor.memberships.get().pk}/", None,
     False, only(204, {"studio_admin": 204, "rep": 404, "counsel": 404, "other_rep": 404, "other_vfx": 404,
                       "other_legal": 404})),
    ("memberships list", "get", lambda w: "/api/v1/memberships/", None, False, everyone(200)),
    ("membership add", "post", lambda w: "/api/v1/memberships/",
     lambda w: {"user": w.vfx.pk, "organisation": w.studio.pk, "role": "vfx_supervisor"}, False,
     everyone(400, studio_admin=201, anon=401, **READ_ONLY)),
    ("performers list", "get", lambda w: "/api/v1/performers/", None, False, everyone(200)),
    ("performer detail", "get", lambda w: f"/api/v1/performers/{w.performer.pk}/", None, False, SEES_PERFORMER),
    ("performer create", "post", lambda w: "/api/v1/performers/",
     lambda w: {"legal_name": "New Person", "date_of_birth": "1990-01-01", "domicile": "GB",
                "representing_organisation": w.agency.pk}, False,
     only(201, {"rep": 201, "counsel": 400, "studio_legal": 400, "other_rep": 400, "other_legal": 400})),
    ("performer update", "patch", lambda w: f"/api/v1/performers/{w.performer.pk}/",
     lambda w: {"professional_name": "A. Quinn"}, False,
     only(200, {"rep": 200, "counsel": 200, "other_rep": 404, "other_legal": 404})),
    ("representation add", "post", lambda w: "/api/v1/representations/",
     lambda w: {"performer": w.performer.pk, "organisation": w.other_agency.pk, "kind": "agency"}, False,
     only(201, {"rep": 201, "counsel": 201, "studio_legal": 400, "other_rep": 400, "other_legal": 400})),
    ("representation detail", "get",
     lambda w: f"/api/v1/representations/{w.performer.representations.first().pk}/", None, False, SEES_PERFORMER),
    ("productions list", "get", lambda w: "/api/v1/productions/", None, False, everyone(200)),
    ("production create", "post", lambda w: "/api/v1/productions/",
     lambda w: {"title": "Third Film", "studio": w.studio.pk, "agreement": "sag_aftra_tv_theatrical_2026",
                "jurisdictions": ["US-CA"], "release_territories": ["US"], "release_media": ["theatrical"]}, False,
     only(201, ("studio_legal", "studio_admin"))),
    ("production update", "patch", lambda w: f"/api/v1/productions/{w.production.pk}/",
     lambda w: {"release_territories": ["US", "GB"]}, False, only(200, ("studio_legal", "studio_admin"))),
    ("labour action", "post", lambda w: f"/api/v1/productions/{w.production.pk}/labour-action/",
     lambda w: {"active": True}, False, only(200, ("studio_legal", "studio_admin"))),
    ("reference materials list", "get", lambda w: "/api/v1/reference-materials/", None, False, everyone(200)),
    ("reference material add", "post", lambda w: "/api/v1/reference-materials/",
     lambda w: {"performer": w.performer.pk, "title": "Harbour Lights", "year": 1986, "performer_age": 25,
                "rights_basis": "studio_owned", "sha256": "ab" * 32}, False,
     only(201, {"rep": 201, "counsel": 201, "studio_legal": 201, "supervisor": 201, "vfx": 403,
                "studio_admin": 403, **BOUND_400})),
    ("reference material detail", "get", lambda w: f"/api/v1/reference-materials/{w.reference.pk}/", None, False,
     SEES_PERFORMER),
    ("grants list", "get", lambda w: "/api/v1/grants/", None, False, everyone(200)),
    ("grant detail", "get", lambda w: f"/api/v1/grants/{w.active.pk}/", None, False, SEES_PERFORMER),
    ("grant draft", "post", lambda w: "/api/v1/grants/", _grant_body, False,
     only(201, {"rep": 201, "counsel": 201, "studio_legal": 201, "other_rep": 400, "other_legal": 400})),
    ("grant draft edit", "patch", lambda w: f"/api/v1/grants/{_draft(w).pk}/", lambda w: {"depicted_age_max": 50},
     False, only(200, {"rep": 200, "counsel": 200, "other_rep": 404, "studio_legal": 404, "other_legal": 404})),
    ("grant draft delete", "delete", lambda w: f"/api/v1/grants/{_draft(w).pk}/", None, False,
     only(204, {"rep": 204, "counsel": 204, "other_rep": 404, "studio_legal": 404, "other_legal": 404})),
    ("grant submit", "post", lambda w: f"/api/v1/grants/{_draft(w).pk}/submit/", lambda w: {"document": pdf_file()},
     True, only(200, {"rep": 200, "counsel": 200, "other_rep": 404, "studio_legal": 404, "other_legal": 404})),
    ("grant approve", "post", lambda w: f"/api/v1/grants/{_submitted(w).pk}/approve/", None, False,
     only(200, {"rep": 400, "counsel": 200, "other_rep": 404, "other_legal": 404})),
    ("grant amend", "post", lambda w: f"/api/v1/grants/{w.active.pk}/amend/", lambda w: {"depicted_age_max": 50},
     False, only(201, {"rep": 201, "counsel": 201, "studio_legal": 201, "other_rep": 404, "other_legal": 404})),
    ("grant revoke", "post", lambda w: f"/api/v1/grants/{w.active.pk}/revoke/", lambda w: {"reason": "withdrawn"},
     False, only(200, {"rep": 200, "counsel": 200, "other_rep": 404, "other_legal": 404})),
    ("grant document", "get", lambda w: f"/api/v1/grants/{w.active.pk}/document/", None, False,
     everyone(200, vfx=403, supervisor=403, **NOT_FOUND_OUTSIDE)),
    ("grant history", "get", lambda w: f"/api/v1/grants/{w.active.pk}/history/", None, False, SEES_PERFORMER),
    ("grant diff", "get", lambda w: f"/api/v1/grants/{w.active.pk}/diff/?against={w.active.pk}", None, False,
     SEES_PERFORMER),
    ("decisions list", "get", lambda w: "/api/v1/decisions/", None, False, everyone(200)),
    ("decision detail", "get", lambda w: f"/api/v1/decisions/{w.decision.pk}/", None, False, SEES_PERFORMER),
    ("gate what-if", "post", lambda w: "/api/v1/gate/what-if/",
     lambda w: {"performer": w.performer.pk, "production": w.production.pk, "use": "de_aging", "depicted_age": 30,
                "media": ["theatrical"], "territories": ["US"], "replica_types": ["digital_alteration"]}, False,
     everyone(201, studio_admin=403, **BOUND_400, **READ_ONLY)),
    ("rule catalogue", "get", lambda w: "/api/v1/rules/", None, False, everyone(200)),
    ("jobs list", "get", lambda w: "/api/v1/jobs/", None, False, everyone(200)),
    ("job detail", "get", lambda w: f"/api/v1/jobs/{w.job.pk}/", None, False, SEES_PERFORMER),
    ("training job", "post", lambda w: "/api/v1/jobs/training/",
     lambda w: {"performer": w.performer.pk, "production": w.production.pk, "reference_materials": [w.reference.pk],
                "size": "tiny"}, False, only(400, ("vfx", "supervisor", "other_vfx", "vfx_auditor"))),
    ("aging job", "post", lambda w: "/api/v1/jobs/aging/", lambda w: {"target_age": 30}, True,
     only(400, ("vfx", "supervisor", "other_vfx", "vfx_auditor"))),
    ("job cancel", "post", lambda w: f"/api/v1/jobs/{w.job.pk}/cancel/", lambda w: {"reason": "no"}, False,
     only(400, {"vfx": 400, "supervisor": 400, "other_rep": 404, "other_vfx": 404, "other_legal": 404})),
    ("job release", "post", lambda w: f"/api/v1/jobs/{w.job.pk}/release/", None, False,
     only(400, {"vfx": 400, "supervisor": 400, "studio_legal": 400, "studio_admin": 400, "other_rep": 404,
                "other_legal": 404,
                "other_vfx": 404})),
    ("models list", "get", lambda w: "/api/v1/models/", None, False, everyone(200)),
    ("model detail", "get", lambda w: f"/api/v1/models/{w.model.pk}/", None, False, SEES_PERFORMER),
    ("audit events", "get", lambda w: "/api/v1/audit/events/", None, False,
     only(200, ("auditor", "other_auditor", "vfx_auditor"))),
    ("audit event detail", "get", lambda w: f"/api/v1/audit/events/{w.decision_event.pk}/", None, False,
     only(200, {"auditor": 200, "vfx_auditor": 200, "other_auditor": 404})),
    ("audit verify", "get", lambda w: "/api/v1/audit/verify/", None, False,
     only(200, ("auditor", "other_auditor", "vfx_auditor"))),
]


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the whole matrix (each case runs in a savepoint and rolls back what it changed)."""
    media = tmp_path_factory.mktemp("matrix-media")
    with shared_records(django_db_blocker, media):
        yield _matrix_records(build_world()), media


@pytest.fixture
def w(matrix_world, db, settings):
    world, media = matrix_world
    settings.MEDIA_ROOT = media
    # Each case gets its own copy of the Python objects (a request may change a user object in memory).
    return copy.deepcopy(world)


def _matrix_records(world):
    world.active = grant_make(world)
    req = gate_request_build(performer=world.performer, production=world.production, use="de_aging",
                             depicted_age=30, media=["theatrical"], territories=["US"],
                             replica_types=["digital_alteration"], at=None)
    world.decision = decision_make(request=req, performer=world.performer, production=world.production,
                                   purpose="what_if", by=world.vfx)
    world.decision_event = AuditEvent.objects.get(object_id=str(world.decision.pk))
    world.job = Job.objects.create(kind="training", performer=world.performer, production=world.production,
                                   requested_by=world.vfx, state="denied", state_reason="test")
    world.model = LikenessModel.objects.create(performer=world.performer, size="tiny", grant=world.active,
                                               decision=world.decision, status="ready")
    world.reference = reference_material_create(performer=world.performer, title="Northbound", year=2003,
                                                performer_age=42, rights_basis="studio_owned", by=world.supervisor,
                                                sha256="cd" * 32)
    return world


CASES = [(row, role) for row in MATRIX for role in ROLES]


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role"), CASES, ids=[f"{r[0]} as {role}" for r, role in CASES])
def test_endpoint_permission(w, row, role):
    name, method, path, body, multipart, expected = row
    client = APIClient()
    if role != "anon":
        client.force_authenticate(getattr(w, role))
    url = path(w)
    data = body(w) if body else None
    kwargs: dict[str, Any] = {"format": "multipart" if multipart else "json"} if data is not None else {}
    response = getattr(client, method)(url, data, **kwargs) if data is not None else getattr(client, method)(url)
    detail = getattr(response, "data", None)
    assert response.status_code == expected[role], f"{name} as {role}: {response.status_code} {detail}"


@pytest.mark.django_db
def test_matrix_covers_every_route(w):
    """A new endpoint (or action) without a row here fails this test."""
    from django.urls import resolve

    from likeness.api import urls

    covered = {(resolve(path(w).split("?")[0]).url_name, method) for _n, method, path, *_ in MATRIX}
    covered_names = {name for name, _m in covered}
    routes = {p.name for p in urls.router.urls if p.name and p.name != "api-root"}
    routes |= {"gate-what-if", "rules", "audit-verify", "api-tokens", "api-token-revoke"}
    assert routes <= covered_names, sorted(routes - covered_names)


@pytest.mark.django_db
def test_vfx_never_sees_compensation_or_the_contract(w):
    client = APIClient()
    client.force_authenticate(w.vfx)
    data = client.get(f"/api/v1/grants/{w.active.pk}/").json()
    for secret in ("compensation_terms", "compensation_days_estimate", "realtime_pay_multiple", "document_sha256"):
        assert secret not in data
    listing = client.get("/api/v1/grants/").json()["results"]
    assert all("compensation_terms" not in g for g in listing)
    decision = client.get(f"/api/v1/decisions/{w.decision.pk}/")
    # The facts snapshot is there (the grants the gate saw that this user may see), without the money.
    assert decision.json()["facts"]["grants"], "the studio's own grant is in the facts"
    assert b"scale plus 40%" not in decision.content and b"compensation_terms" not in decision.content
    diff = client.get(f"/api/v1/grants/{w.active.pk}/diff/?against={w.active.pk}").json()
    assert diff["changes"] == []
    rep = APIClient()
    rep.force_authenticate(w.rep)
    assert rep.get(f"/api/v1/grants/{w.active.pk}/").json()["compensation_terms"] == "scale plus 40%"


@pytest.mark.django_db
def test_auditor_changes_nothing(w):
    from likeness.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    client = APIClient()
    client.force_authenticate(w.auditor)
    for method, url in (("post", "/api/v1/grants/"), ("patch", f"/api/v1/grants/{w.active.pk}/"),
                        ("delete", f"/api/v1/grants/{w.active.pk}/"), ("post", f"/api/v1/grants/{w.active.pk}/revoke/"),
                        ("patch", f"/api/v1/performers/{w.performer.pk}/"), ("post", "/api/v1/productions/"),
                        ("post", "/api/v1/gate/what-if/"), ("post", "/api/v1/memberships/")):
        assert getattr(client, method)(url, {}, format="json").status_code == 403, (method, url)
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_token_authentication(w):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "vfx", "password": "pw-vfx"}, format="json")
    assert response.status_code == 201
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/rules/").status_code == 200
    assert APIClient().post("/api/v1/auth/token/", {"username": "vfx", "password": "wrong"}).status_code == 400


@pytest.mark.django_db
def test_schema_and_docs_render(client):
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()
