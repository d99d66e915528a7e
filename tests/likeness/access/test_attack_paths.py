"""The four ways a second tenant got in, each tried the way an attacker did, through the API, the pages and the
services. The world has two studios, two agencies, a law firm and two audit firms (tests/conftest.py).

1. Legal at another studio drafts consent for a performer it has no contract with, to make the performer
   (legal name, date of birth, footage) visible to its studio and to read every grant through a what-if.
2. An organisation admin gives itself (or a VFX artist) the auditor role, to read every organisation.
3. A what-if naming another studio's production, to hand that studio's legal the performer's facts, or to write
   Decisions into another studio's list.
4. A user who is VFX staff at one studio and an auditor engaged on another writes through what they may
   only read (the live preview, jobs).
"""
from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from rest_framework.test import APIClient

from likeness.audit.models import AuditEvent
from likeness.consent import services as consent
from likeness.jobs.models import Job, LikenessModel, PreviewSession
from likeness.jobs.previews import preview_session_start
from likeness.organisations.models import Role
from likeness.organisations.services import audit_engagement_grant, membership_create
from likeness.policy.models import Decision
from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make
from likeness.productions.services import production_create
from tests.conftest import grant_scope
from tests.factories import pdf_file

OTHER_SECRET = "other studio pays 9x scale"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def two_studios(world, make_grant):
    """The performer has an active consent with this studio ('Here and Then'), and one with the other studio
    ('Elsewhere'), each with its own compensation."""
    world.active = make_grant()
    world.elsewhere = production_create(by=world.other_legal, title="Elsewhere", studio=world.other_studio,
                                        agreement="sag_aftra_tv_theatrical_2026", jurisdictions=["US-CA"],
                                        release_territories=["US"], release_media=["theatrical"])
    world.other_grant = consent.grant_draft_create(
        performer=world.performer, productions=[world.elsewhere], by=world.rep,
        **grant_scope(compensation_terms=OTHER_SECRET))
    consent.grant_submit(grant=world.other_grant, document=pdf_file(), by=world.rep)
    world.other_grant = consent.grant_approve(grant=world.other_grant, by=world.counsel)
    return world


def _what_if_body(w, production) -> dict:
    return {"performer": w.performer.pk, "production": production.pk, "use": "de_aging", "depicted_age": 30,
            "media": ["theatrical"], "territories": ["US"], "replica_types": ["digital_alteration"]}


# ----- 1. a studio's legal drafting for a stranger ------------------------------------------------------------

@pytest.mark.django_db
def test_another_studios_legal_cannot_draft_for_a_performer_it_has_no_consent_with(world, make_grant):
    make_grant()  # the performer's consent is with this studio only
    elsewhere = production_create(by=world.other_legal, title="Elsewhere", studio=world.other_studio,
                                  agreement="sag_aftra_tv_theatrical_2026", jurisdictions=["US-CA"],
                                  release_territories=["US"], release_media=["theatrical"])
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        consent.grant_draft_create(performer=world.performer, productions=[elsewhere], by=world.other_legal,
                                   **grant_scope())
    body = {**grant_scope(), "performer": world.performer.pk, "productions": [elsewhere.pk]}
    body.update(term_start=str(body["term_start"]), term_end=str(body["term_end"]),
                description_given_at=body["description_given_at"].isoformat())
    response = api(world.other_legal).post("/api/v1/grants/", body, format="json")
    assert response.status_code == 400 and "performer" in response.json()
    assert AuditEvent.objects.count() == before
    # ... and the performer stays invisible to that studio, through the API and the pages.
    for user in (world.other_legal, world.other_vfx):
        assert api(user).get(f"/api/v1/performers/{world.performer.pk}/").status_code == 404
        assert world.performer.legal_name not in api(user).get("/api/v1/performers/").content.decode()
        client = Client()
        client.force_login(user)
        assert client.get(f"/performers/{world.performer.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_draft_naming_a_studio_confers_nothing_on_it(world):
    """Even a draft the performer's own rep wrote naming the other studio's production gives that studio no
    sight of the performer until the consent is active."""
    elsewhere = production_create(by=world.other_legal, title="Elsewhere", studio=world.other_studio,
                                  agreement="sag_aftra_tv_theatrical_2026", jurisdictions=["US-CA"],
                                  release_territories=["US"], release_media=["theatrical"])
    draft = consent.grant_draft_create(performer=world.performer, productions=[elsewhere], by=world.rep,
                                       **grant_scope())
    for user in (world.other_legal, world.other_vfx):
        assert api(user).get(f"/api/v1/performers/{world.performer.pk}/").status_code == 404
        assert api(user).get(f"/api/v1/grants/{draft.pk}/").status_code == 404
    consent.grant_submit(grant=draft, document=pdf_file(), by=world.rep)
    consent.grant_approve(grant=draft, by=world.counsel)
    assert api(world.other_vfx).get(f"/api/v1/performers/{world.performer.pk}/").status_code == 200


@pytest.mark.django_db
def test_decision_facts_never_carry_another_studios_grants_or_money(two_studios):
    w = two_studios
    # The gate itself sees both grants; the stored snapshot holds both.
    req = gate_request_build(performer=w.performer, production=w.production, use="de_aging", depicted_age=30,
                             media=["theatrical"], territories=["US"], replica_types=["digital_alteration"])
    decision = decision_make(request=req, performer=w.performer, production=w.production, purpose="what_if",
                             by=w.vfx)
    assert OTHER_SECRET in json.dumps(decision.facts)
    for user in (w.studio_legal, w.vfx, w.supervisor, w.studio_admin):
        response = api(user).get(f"/api/v1/decisions/{decision.pk}/")
        assert response.status_code == 200
        assert OTHER_SECRET.encode() not in response.content
        ids = {g["id"] for g in response.json()["facts"]["grants"]}
        assert ids == {str(w.active.pk)}
    # VFX staff never see money, not even their own studio's.
    assert b"scale plus 40%" not in api(w.vfx).get(f"/api/v1/decisions/{decision.pk}/").content
    # The studio's legal sees its own contract's terms; the performer's side sees every grant.
    assert b"scale plus 40%" in api(w.studio_legal).get(f"/api/v1/decisions/{decision.pk}/").content
    assert OTHER_SECRET.encode() in api(w.counsel).get(f"/api/v1/decisions/{decision.pk}/").content


# ----- 2. an admin widening itself ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_an_admin_cannot_give_anyone_the_auditor_role(world):
    before = world.studio_admin.memberships.count()
    for user in (world.studio_admin, world.vfx):
        response = api(world.studio_admin).post("/api/v1/memberships/", {
            "user": user.pk, "organisation": world.studio.pk, "role": Role.AUDITOR}, format="json")
        assert response.status_code == 400 and "role" in response.json(), response.content
    assert world.studio_admin.memberships.count() == before
    # Nor an admin role elsewhere.
    response = api(world.studio_admin).post("/api/v1/memberships/", {
        "user": world.studio_admin.pk, "organisation": world.other_studio.pk, "role": Role.ADMIN}, format="json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_an_auditor_reads_only_what_an_engagement_covers(two_studios):
    w = two_studios
    # An audit firm's own admin makes a new auditor: with no engagement, they read nothing.
    from django.contrib.auth import get_user_model

    from likeness.organisations.services import organisation_create

    firm = organisation_create(name="Unengaged Audit", kind="audit_firm", by=w.ops)
    boss = get_user_model().objects.create_user("boss", "b@example.test", "pw")
    membership_create(user=boss, organisation=firm, role=Role.ADMIN, by=w.ops)
    newcomer = get_user_model().objects.create_user("newcomer", "n@example.test", "pw")
    membership_create(user=newcomer, organisation=firm, role=Role.AUDITOR, by=boss)
    client = api(newcomer)
    for url in ("/api/v1/grants/", "/api/v1/performers/", "/api/v1/decisions/", "/api/v1/jobs/"):
        assert client.get(url).json()["count"] == 0, url
    assert client.get("/api/v1/audit/events/").status_code == 403
    # Tally & Co is engaged on the other studio: it reads that studio's consent, not this studio's.
    other = api(w.other_auditor)
    grants = {g["id"] for g in other.get("/api/v1/grants/").json()["results"]}
    assert grants == {w.other_grant.pk}
    assert OTHER_SECRET in other.get(f"/api/v1/grants/{w.other_grant.pk}/").json()["compensation_terms"]
    assert other.get(f"/api/v1/grants/{w.active.pk}/").status_code == 404
    # An admin of the audited studio may engage an auditor over its own studio only.
    with pytest.raises(PermissionDenied):
        audit_engagement_grant(audit_firm=w.other_audit_firm, organisations=[w.studio], performers=[],
                               period_start=w.engagement.period_start, period_end=w.engagement.period_end,
                               starts_on=w.engagement.starts_on, ends_on=w.engagement.ends_on, purpose="look",
                               by=w.other_legal)


@pytest.mark.django_db
def test_a_revoked_engagement_reads_nothing(world, make_grant):
    from likeness.organisations.services import audit_engagement_revoke

    grant = make_grant()
    assert api(world.auditor).get(f"/api/v1/grants/{grant.pk}/").status_code == 200
    audit_engagement_revoke(engagement=world.engagement, by=world.ops)
    assert api(world.auditor).get(f"/api/v1/grants/{grant.pk}/").status_code == 404
    assert api(world.auditor).get("/api/v1/audit/events/").status_code == 403


# ----- 3. a what-if about another studio's production ---------------------------------------------------------

@pytest.mark.django_db
def test_a_what_if_may_name_only_productions_ones_organisation_acts_for(two_studios):
    w = two_studios
    before = Decision.objects.count(), AuditEvent.objects.count()
    for user, production in ((w.vfx, w.elsewhere), (w.studio_legal, w.elsewhere), (w.other_vfx, w.production),
                             (w.other_legal, w.production), (w.vfx_auditor, w.production)):
        response = api(user).post("/api/v1/gate/what-if/", _what_if_body(w, production), format="json")
        assert response.status_code == 400, (user, response.content)
        assert "production" in response.json() or "performer" in response.json()
    assert (Decision.objects.count(), AuditEvent.objects.count()) == before
    # Asked about its own production, the other studio's legal gets only its own grant in the facts.
    response = api(w.other_legal).post("/api/v1/gate/what-if/", _what_if_body(w, w.elsewhere), format="json")
    assert response.status_code == 201
    assert b"scale plus 40%" not in response.content
    assert {g["id"] for g in response.json()["facts"]["grants"]} == {str(w.other_grant.pk)}
    # ... and this studio's legal never sees that Decision.
    assert api(w.studio_legal).get(f"/api/v1/decisions/{response.json()['id']}/").status_code == 404


# ----- 4. reading is not writing ------------------------------------------------------------------------------

@pytest.fixture
def studio_model(two_studios):
    w = two_studios
    req = gate_request_build(performer=w.performer, production=w.production, use="training", replica_types=["icdr"])
    decision = decision_make(request=req, performer=w.performer, production=w.production, purpose="submit", by=w.vfx)
    w.model = LikenessModel.objects.create(performer=w.performer, size="tiny", grant=w.active, decision=decision,
                                           status="ready")
    return w


@pytest.mark.django_db
def test_vfx_auditor_cannot_use_what_the_engagement_lets_them_read(studio_model):
    w = studio_model
    assert api(w.vfx_auditor).get(f"/api/v1/models/{w.model.pk}/").status_code == 200  # read: the engagement
    before = PreviewSession.objects.count(), Job.objects.count(), AuditEvent.objects.count()
    # Through the service: their own studio's production with the other studio's model is refused.
    with pytest.raises(Exception) as refused:
        preview_session_start(performer=w.performer, production=w.elsewhere, likeness_model=w.model,
                              source_kind="camera", camera_index=0, target_age=30, by=w.vfx_auditor)
    assert "likeness_model" in str(refused.value)
    # Through the page: the model is not among the choices, and a forged POST writes nothing.
    client = Client()
    client.force_login(w.vfx_auditor)
    page = client.get("/preview/").content.decode()
    assert str(w.model.pk) not in page.split("Recent sessions")[0] if "Recent sessions" in page else True
    response = client.post("/preview/", {"performer": w.performer.pk, "production": w.elsewhere.pk,
                                         "likeness_model": w.model.pk, "source_kind": "camera", "camera_index": 0,
                                         "target_age": 30})
    assert response.status_code == 400
    # Through the API: an aging job with that model.
    response = api(w.vfx_auditor).post("/api/v1/jobs/aging/", {
        "performer": w.performer.pk, "production": w.elsewhere.pk, "likeness_model": str(w.model.pk),
        "target_age": 30, "plate": _tiny_file()}, format="multipart")
    assert response.status_code == 400 and "likeness_model" in response.json()
    assert (PreviewSession.objects.count(), Job.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_an_auditor_only_account_writes_nothing_even_through_services(studio_model):
    w = studio_model
    with pytest.raises(PermissionDenied):
        preview_session_start(performer=w.performer, production=w.production, likeness_model=w.model,
                              source_kind="camera", camera_index=0, target_age=30, by=w.auditor)
    with pytest.raises(PermissionDenied):
        consent.grant_revoke(grant=w.active, by=w.auditor, reason="auditor tries")
    client = Client()
    client.force_login(w.auditor)
    response = client.post("/preview/", {"performer": w.performer.pk, "production": w.production.pk,
                                         "likeness_model": w.model.pk, "source_kind": "camera", "camera_index": 0,
                                         "target_age": 30})
    assert response.status_code == 403
    assert not PreviewSession.objects.exists()


def _tiny_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("plate.mp4", b"\x00" * 64, content_type="video/mp4")
