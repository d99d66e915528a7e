"""Consent grants through their services: two-party activation, immutability, amendment, revocation, expiry."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from likeness.audit.models import AuditEvent
from likeness.consent import services
from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.consent.selectors import grant_diff, grant_effective_status
from likeness.consent.signals import grant_withdrawn
from tests.conftest import grant_scope
from tests.factories import pdf_file

pytestmark = pytest.mark.django_db


def test_two_party_activation(world):
    grant = services.grant_draft_create(performer=world.performer, productions=[world.production], by=world.rep,
                                        **grant_scope())
    with pytest.raises(ValidationError, match="only a submitted grant"):
        services.grant_approve(grant=grant, by=world.counsel)
    grant = services.grant_submit(grant=grant, document=pdf_file(), by=world.rep)
    assert grant.status == GrantStatus.AWAITING_APPROVAL and len(grant.document_sha256) == 64
    with pytest.raises(ValidationError, match="second person"):
        services.grant_approve(grant=grant, by=world.rep)
    with pytest.raises(PermissionDenied):
        services.grant_approve(grant=grant, by=world.other_rep)  # does not represent the performer
    with pytest.raises(PermissionDenied):
        services.grant_approve(grant=grant, by=world.studio_legal)  # the studio is the counter-party
    grant = services.grant_approve(grant=grant, by=world.counsel)
    assert grant.status == GrantStatus.ACTIVE and grant.approved_by == world.counsel
    actions = list(AuditEvent.objects.filter(object_type="consent.consentgrant", object_id=str(grant.pk))
                   .values_list("action", flat=True))
    assert actions == ["grant.drafted", "grant.submitted", "grant.activated"]


def test_document_must_be_a_pdf_within_the_limit(world, settings):
    grant = services.grant_draft_create(performer=world.performer, productions=[world.production], by=world.rep,
                                        **grant_scope())
    for payload, message in ((b"", "empty"), (b"GIF89a....", "not a PDF"),
                             (b"%PDF-1.7\nnot really a pdf", "cannot be read")):
        with pytest.raises(ValidationError, match=message):
            services.grant_submit(grant=grant, document=io.BytesIO(payload), by=world.rep)
    settings.CONSENT_DOCUMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="limit"):
        services.grant_submit(grant=grant, document=pdf_file(), by=world.rep)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.DRAFT and not grant.document and not grant.document_sha256


def test_active_grant_is_immutable_and_amendment_supersedes(world, make_grant):
    v1 = make_grant()
    v1.depicted_age_max = 60
    with pytest.raises(PermissionError, match="immutable"):
        v1.save()
    v1.refresh_from_db()
    with pytest.raises(ValidationError, match="only drafts can be edited"):
        services.grant_draft_update(grant=v1, by=world.rep, depicted_age_max=60)
    v2 = services.grant_amend(grant=v1, by=world.rep, depicted_age_max=60)
    assert (v2.version, v2.family, v2.status, v2.supersedes_id) == (2, v1.family, GrantStatus.DRAFT, v1.pk)
    with pytest.raises(ValidationError, match="already an open amendment"):
        services.grant_amend(grant=v1, by=world.rep, depicted_age_max=50)
    v2 = services.grant_submit(grant=v2, document=pdf_file(), by=world.rep)
    v2 = services.grant_approve(grant=v2, by=world.counsel)
    v1.refresh_from_db()
    assert v1.status == GrantStatus.SUPERSEDED and v2.status == GrantStatus.ACTIVE
    assert [r["field"] for r in grant_diff(v1, v2, include_confidential=False)] == ["depicted_age_max"]


def test_amending_a_revoked_grant_is_refused(world, make_grant):
    grant = make_grant()
    services.grant_revoke(grant=grant, by=world.counsel, reason="withdrawn by the performer")
    with pytest.raises(ValidationError, match="only an active grant can be amended"):
        services.grant_amend(grant=grant, by=world.rep, depicted_age_max=50)


def test_revocation_records_who_when_why_and_withdraws_open_amendments(world, make_grant):
    grant = make_grant()
    draft = services.grant_amend(grant=grant, by=world.rep, depicted_age_max=50)
    received = []
    grant_withdrawn.connect(lambda sender, **kw: received.append(kw), weak=False, dispatch_uid="t")
    try:
        with pytest.raises(ValidationError, match="say why"):
            services.grant_revoke(grant=grant, by=world.counsel, reason="  ")
        with pytest.raises(PermissionDenied):
            services.grant_revoke(grant=grant, by=world.vfx, reason="no")
        services.grant_revoke(grant=grant, by=world.counsel, reason="performer withdrew")
    finally:
        grant_withdrawn.disconnect(dispatch_uid="t")
    grant.refresh_from_db()
    draft.refresh_from_db()
    assert (grant.status, grant.revoked_by, grant.revocation_reason) == ("revoked", world.counsel, "performer withdrew")
    assert grant.revoked_at is not None
    assert draft.status == GrantStatus.REVOKED
    assert received and received[0]["grant"].pk == grant.pk


def test_expiry_without_anyone_acting(world, make_grant):
    today = timezone.now().date()
    grant = make_grant(term_start=today - dt.timedelta(days=30), term_end=today + dt.timedelta(days=1))
    assert grant_effective_status(grant) == GrantStatus.ACTIVE
    later = timezone.now() + dt.timedelta(days=3)
    assert grant_effective_status(grant, later) == GrantStatus.EXPIRED
    assert services.grants_expire(now=later) == [grant]
    grant.refresh_from_db()
    assert grant.status == GrantStatus.EXPIRED and grant.expired_at is not None


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"depicted_age_min": 50, "depicted_age_max": 20}, "depicted_age_max", "inverted"),
    ({"term_start": dt.date(2027, 1, 1), "term_end": dt.date(2026, 1, 1)}, "term_end", "before it starts"),
    ({"uses": ["de_aging", "time_travel"]}, "uses", "unknown use code(s): time_travel"),
    ({"uses": []}, "uses", "at least one"),
    ({"territories": ["ZZ"]}, "territories", "unknown territory code(s): ZZ"),
    ({"media": ["cinema"]}, "media", "unknown medium code(s): cinema"),
    ({"use_description": "   "}, "use_description", ""),
])
def test_bad_scope_is_refused_and_writes_nothing(world, overrides, field, message):
    before = (ConsentGrant.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as info:
        services.grant_draft_create(performer=world.performer, productions=[world.production], by=world.rep,
                                    **grant_scope(**overrides))
    assert field in info.value.message_dict
    assert message in " ".join(info.value.message_dict[field])
    assert (ConsentGrant.objects.count(), AuditEvent.objects.count()) == before


def test_grant_must_name_a_production(world):
    with pytest.raises((ValidationError, PermissionDenied)):
        services.grant_draft_create(performer=world.performer, productions=[], by=world.rep, **grant_scope())


def test_only_reps_of_the_performer_or_studio_legal_may_draft(world, make_grant):
    outsiders = (world.other_rep, world.vfx, world.auditor, world.studio_legal, world.other_legal,
                 world.vfx_auditor)
    for outsider in outsiders:
        with pytest.raises(PermissionDenied):
            services.grant_draft_create(performer=world.performer, productions=[world.production], by=outsider,
                                        **grant_scope())
    # Once an active consent ties the performer to the studio, its legal may draft more (for its own
    # productions only); activation still needs the performer's side.
    make_grant()
    grant = services.grant_draft_create(performer=world.performer, productions=[world.sequel],
                                        by=world.studio_legal, **grant_scope())
    assert grant.drafted_by == world.studio_legal
    for outsider in (world.other_legal, world.other_vfx):
        with pytest.raises(PermissionDenied):
            services.grant_draft_create(performer=world.performer, productions=[world.production], by=outsider,
                                        **grant_scope())
