"""A page offers an action only when the server would carry it out: otherwise the button is absent, or disabled
with the server's own reason beside it. Each case is checked both ways: what the page offers, and what happens
when the person posts anyway."""
from __future__ import annotations

import re

import pytest

from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.consent.services import grant_amend, grant_draft_create, grant_revoke, grant_submit
from tests.conftest import grant_scope
from tests.factories import fresh_code, pdf_file
from tests.likeness.web.test_consent_pages import pdf_upload, signed_in

pytestmark = pytest.mark.django_db

ENABLED_APPROVE = re.compile(r'<button type="submit" class="primary">Approve and activate</button>')
DISABLED_APPROVE = re.compile(r'<button type="button" class="primary" disabled[^>]*>Approve and activate</button>')


def _submitted(world, make_grant) -> ConsentGrant:
    draft = make_grant(activate=False)
    return grant_submit(grant=draft, document=pdf_file(), by=world.rep)


def test_the_drafter_is_not_offered_approval_and_is_told_why(world, make_grant):
    grant = _submitted(world, make_grant)
    rep = signed_in(world.rep)
    page = rep.get(f"/grants/{grant.pk}/").content.decode()
    assert not ENABLED_APPROVE.search(page) and DISABLED_APPROVE.search(page)
    assert "activation needs a second person: you drafted this grant" in page
    assert 'name="otp_code"' not in page  # no code is asked for an act the server refuses anyway
    # Posting anyway is refused with the same words, and changes nothing.
    refused = rep.post(f"/grants/{grant.pk}/approve/", {"otp_code": fresh_code(world.rep)}, follow=True)
    assert "activation needs a second person: you drafted this grant" in refused.content.decode()
    grant.refresh_from_db()
    assert grant.status == GrantStatus.AWAITING_APPROVAL


def test_approval_is_offered_exactly_to_those_the_server_lets_approve(world, make_grant):
    """Every account that can open the grant: the page's offer and the server's answer agree, person by person.
    The counsel (who acts for the performer and did not draft it) goes last, because approval changes the grant."""
    grant = _submitted(world, make_grant)
    accounts = ["rep", "studio_legal", "studio_admin", "vfx", "auditor", "other_rep", "other_legal", "counsel"]
    offered_to = []
    for name in accounts:
        user = getattr(world, name)
        client = signed_in(user)
        page = client.get(f"/grants/{grant.pk}/")
        if page.status_code != 200:
            assert page.status_code in (403, 404), (name, page.status_code)
            continue
        offered = bool(ENABLED_APPROVE.search(page.content.decode()))
        if offered:
            offered_to.append(name)
        client.post(f"/grants/{grant.pk}/approve/", {"otp_code": fresh_code(user)})
        grant.refresh_from_db()
        assert (grant.status == GrantStatus.ACTIVE) == offered, f"{name}: offered={offered}, status={grant.status}"
    assert offered_to == ["counsel"]


def test_a_drafter_who_lost_the_right_to_draft_is_not_offered_edit_or_submit(world, make_grant):
    """Studio legal drafts consent only while an active consent ties the performer to the studio. Once that consent
    is revoked, studio legal still sees the draft it wrote, but may no longer edit or submit it."""
    tie = make_grant()
    draft = grant_draft_create(performer=world.performer, productions=[world.sequel], by=world.studio_legal,
                               **grant_scope())
    legal = signed_in(world.studio_legal)
    html = legal.get(f"/grants/{draft.pk}/").content.decode()
    assert "Edit draft" in html and "Submit for approval" in html
    grant_revoke(grant=tie, by=world.counsel, reason="the performer withdrew")
    page = legal.get(f"/grants/{draft.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Edit draft" not in html and "Submit for approval" not in html
    assert legal.post(f"/grants/{draft.pk}/submit/", {"document": pdf_upload()}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == GrantStatus.DRAFT
    # The performer's rep may still take the draft forward.
    html = signed_in(world.rep).get(f"/grants/{draft.pk}/").content.decode()
    assert "Edit draft" in html and "Submit for approval" in html


def test_a_second_amendment_is_not_offered_while_one_is_open(world, make_grant):
    grant = make_grant()
    rep = signed_in(world.rep)
    assert f'href="/grants/{grant.pk}/amend/"' in rep.get(f"/grants/{grant.pk}/").content.decode()
    open_one = grant_amend(grant=grant, by=world.rep, productions=None, **grant_scope(depicted_age_max=50))
    html = rep.get(f"/grants/{grant.pk}/").content.decode()
    assert f'href="/grants/{grant.pk}/amend/"' not in html
    assert f"{open_one.label} is already an open amendment of this consent" in html
    assert re.search(r"<button type=\"button\" disabled[^>]*>Amend \(new version\)</button>", html)


def test_the_revoke_form_offers_no_revocation_to_someone_who_does_not_act_for_the_performer(world, make_grant):
    grant = make_grant()
    legal = signed_in(world.studio_legal)
    page = legal.get(f"/grants/{grant.pk}/revoke/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<button type="submit" class="danger">Revoke consent</button>' not in html
    assert re.search(r'<button type="button" class="danger" disabled[^>]*>Revoke consent</button>', html)
    assert legal.post(f"/grants/{grant.pk}/revoke/", {"reason": "x", "confirm": "on",
                                                       "otp_code": fresh_code(world.studio_legal)}).status_code in (
        400, 403)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    counsel_page = signed_in(world.counsel).get(f"/grants/{grant.pk}/revoke/").content.decode()
    assert '<button type="submit" class="danger">Revoke consent</button>' in counsel_page
