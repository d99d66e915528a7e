"""The members page, through Django's test client: a studio's admin lists, adds and removes its members with the
roles it may hand out; the last admin cannot be removed; another studio's admin neither sees nor changes them."""
from __future__ import annotations

import pytest

from likeness.audit.models import AuditEvent
from likeness.organisations.models import Membership, Role
from likeness.organisations.services import membership_create
from tests.conftest import _user
from tests.likeness.web.test_consent_pages import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_admin(world):
    user = _user("other_admin")
    membership_create(user=user, organisation=world.other_studio, role=Role.ADMIN, by=world.ops)
    return user


def members_url(org) -> str:
    return f"/organisations/{org.pk}/members/"


def test_the_admin_lands_on_its_organisations_members(world, other_admin):
    client = signed_in(world.studio_admin)
    home = client.get("/").content.decode()
    assert 'href="/members/"' in home
    response = client.get("/members/")
    assert response.status_code == 302 and response.url == members_url(world.studio)
    html = client.get(response.url).content.decode()
    for name in ("studio_legal", "vfx", "supervisor", "studio_admin"):
        assert name in html, name
    assert "other_admin" not in html and "other_legal" not in html and "rep@example.test" not in html
    assert "VFX supervisor" in html and "Organisation admin" in html
    # Only the roles a studio may hand out are offered: never the auditor's (an audit firm's only).
    assert '<option value="vfx_artist">' in html and '<option value="auditor">' not in html


def test_the_navigation_offers_members_to_admins_only(world):
    for name, shown in (("studio_admin", True), ("studio_legal", False), ("vfx", False), ("rep", False),
                        ("auditor", False)):
        assert ('href="/members/"' in signed_in(getattr(world, name)).get("/").content.decode()) == shown, name
        if not shown:
            assert signed_in(getattr(world, name)).get("/members/").status_code == 403, name
            assert signed_in(getattr(world, name)).get(members_url(world.studio)).status_code == 403, name


def test_the_admin_adds_an_existing_account_by_username_or_email(world):
    newcomer = _user("newcomer")
    client = signed_in(world.studio_admin)
    response = client.post(members_url(world.studio), {"person": "newcomer", "role": "vfx_artist"})
    assert response.status_code == 302
    assert Membership.objects.filter(user=newcomer, organisation=world.studio, role="vfx_artist").exists()
    by_email = client.post(members_url(world.studio), {"person": "NEWCOMER@example.test", "role": "legal"})
    assert by_email.status_code == 302
    assert Membership.objects.filter(user=newcomer, organisation=world.studio, role="legal").exists()
    assert AuditEvent.objects.filter(action="membership.created", actor=world.studio_admin).count() == 2
    page = client.get(members_url(world.studio)).content.decode()
    assert "newcomer" in page


def test_refusals_are_shown_on_the_form(world):
    client = signed_in(world.studio_admin)
    events = AuditEvent.objects.count()
    unknown = client.post(members_url(world.studio), {"person": "nobody", "role": "vfx_artist"})
    assert unknown.status_code == 400 and "no account has that username or email" in unknown.content.decode()
    twice = client.post(members_url(world.studio), {"person": "vfx", "role": "vfx_artist"})
    assert twice.status_code == 400 and "this person already holds that role here" in twice.content.decode()
    # A role the admin may not hand out here (the auditor's belongs to audit firms) is not accepted.
    auditor = client.post(members_url(world.studio), {"person": "vfx", "role": "auditor"})
    assert auditor.status_code == 400 and "Select a valid choice" in auditor.content.decode()
    assert 'aria-invalid="true"' in auditor.content.decode()
    assert AuditEvent.objects.count() == events


def test_the_admin_removes_a_member(world):
    membership = world.supervisor.memberships.get()
    client = signed_in(world.studio_admin)
    response = client.post(f"{members_url(world.studio)}{membership.pk}/remove/", follow=True)
    assert response.status_code == 200 and "no longer holds the vfx supervisor role" in response.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="membership.deleted", actor=world.studio_admin).exists()


def test_the_last_admin_is_not_offered_removal_and_cannot_be_removed(world):
    own = world.studio_admin.memberships.get()
    client = signed_in(world.studio_admin)
    page = client.get(members_url(world.studio)).content.decode()
    assert f'action="{members_url(world.studio)}{own.pk}/remove/"' not in page
    assert "studio_admin is the only admin of Northlight: add another admin first" in page
    refused = client.post(f"{members_url(world.studio)}{own.pk}/remove/", follow=True)
    assert "Not removed: studio_admin is the only admin of Northlight" in refused.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()
    # With a second admin, either may be removed: the admin may even step down.
    membership_create(user=world.studio_legal, organisation=world.studio, role=Role.ADMIN, by=world.ops)
    page = client.get(members_url(world.studio)).content.decode()
    assert f'action="{members_url(world.studio)}{own.pk}/remove/"' in page
    stepped_down = client.post(f"{members_url(world.studio)}{own.pk}/remove/")
    assert stepped_down.status_code == 302 and stepped_down.url == "/"
    assert not Membership.objects.filter(pk=own.pk).exists()


def test_another_studios_admin_neither_sees_nor_changes_the_members(world, other_admin):
    events = AuditEvent.objects.count()
    membership = world.supervisor.memberships.get()
    client = signed_in(other_admin)
    assert client.get("/members/").url == members_url(world.other_studio)
    assert client.get(members_url(world.studio)).status_code == 404
    assert client.post(members_url(world.studio), {"person": "other_vfx", "role": "admin"}).status_code == 404
    assert client.post(f"{members_url(world.studio)}{membership.pk}/remove/").status_code == 404
    # Nor through its own organisation's address: the membership is not one of its members.
    assert client.post(f"{members_url(world.other_studio)}{membership.pk}/remove/").status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not Membership.objects.filter(user=world.other_vfx, organisation=world.studio).exists()
    assert AuditEvent.objects.count() == events
    # And this studio's admin cannot open theirs.
    assert signed_in(world.studio_admin).get(members_url(world.other_studio)).status_code == 404


def test_an_auditor_changes_no_membership(world):
    membership = world.supervisor.memberships.get()
    client = signed_in(world.auditor)
    assert client.post(members_url(world.studio), {"person": "rep", "role": "legal"}).status_code == 403
    assert client.post(f"{members_url(world.studio)}{membership.pk}/remove/").status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()
