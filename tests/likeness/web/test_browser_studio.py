"""The studio's own pages in a real browser: studio legal creates a production (a mistake is shown on the form
first), edits its terms and flags a labour action; the studio admin adds and removes a member and sees why the
last admin cannot be removed; the drafter of a consent sees why they cannot approve it. A screenshot of every
page visited is saved (see conftest)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from likeness.consent import services as consent
from likeness.organisations.models import Membership
from likeness.productions.models import Production
from tests.conftest import _user, build_world, grant_scope
from tests.factories import pdf_file
from tests.likeness.web.conftest import password_for

pytestmark = pytest.mark.slow


@pytest.fixture
def committed_world(live_db) -> SimpleNamespace:
    return build_world()


def test_studio_legal_creates_and_edits_a_production_and_flags_a_labour_action(visit, committed_world):
    legal = visit("studio_legal", password_for("studio_legal"))
    page = legal.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Productions").click()
    page.get_by_role("heading", name="Productions").wait_for()
    legal.shot("productions list")

    page.get_by_role("link", name="New production").click()
    page.get_by_role("heading", name="New production").wait_for()
    page.get_by_label("Title").fill("Long Night")
    page.get_by_label("Union agreement").select_option(label="SAG-AFTRA TV/Theatrical 2026")
    page.get_by_label("Jurisdictions").fill("US-CA XX-ZZ")
    page.get_by_label("Release territories").fill("US GB FR")
    page.get_by_label("Theatrical").check()
    page.get_by_label("Streaming").check()
    page.get_by_role("button", name="Create the production").click()
    page.get_by_text("unknown place code(s): XX-ZZ").first.wait_for()
    assert page.get_by_label("Jurisdictions").get_attribute("aria-invalid") == "true"
    legal.shot("form error")
    page.get_by_label("Jurisdictions").fill("US-CA US-NY")
    page.get_by_role("button", name="Create the production").click()
    page.get_by_text("Production “Long Night” created.").wait_for()
    legal.shot("production created")
    production = Production.objects.get(title="Long Night")
    assert production.jurisdictions == ["US-CA", "US-NY"] and production.studio == committed_world.studio

    page.get_by_role("link", name="Edit terms").click()
    page.get_by_label("Release territories").fill("WORLD")
    legal.shot("edit form")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("“Long Night” updated.").wait_for()
    production.refresh_from_db()
    assert production.release_territories == ["WORLD"]

    page.get_by_label("Reason").fill("SAG-AFTRA strike called from 14 July")
    page.once("dialog", lambda dialog: dialog.accept())  # the confirmation the flag asks for
    page.get_by_role("button", name="Flag a labour action").click()
    page.get_by_role("button", name="Clear the labour-action flag").wait_for()
    legal.shot("labour action flagged")
    production.refresh_from_db()
    assert production.labour_action


def test_the_studio_admin_manages_members(visit, committed_world):
    w = committed_world
    _user("newcomer")
    admin = visit("studio_admin", password_for("studio_admin"))
    page = admin.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    page.get_by_role("heading", name="Members of Northlight").wait_for()
    # The only admin: the remove button is disabled and says why.
    own = page.locator(f"#membership-{w.studio_admin.memberships.get().pk}")
    assert own.get_by_role("button", name="Remove").is_disabled()
    assert "the only admin of Northlight: add another admin first" in own.inner_text()
    admin.shot("members")

    page.get_by_label("Username or email").fill("nobody")
    page.get_by_role("combobox", name="Role").select_option(label="VFX artist")
    page.get_by_role("button", name="Add the member").click()
    page.get_by_text("no account has that username or email").first.wait_for()
    admin.shot("unknown account")
    page.get_by_label("Username or email").fill("newcomer@example.test")
    page.get_by_role("combobox", name="Role").select_option(label="VFX artist")
    page.get_by_role("button", name="Add the member").click()
    page.get_by_text("newcomer is now vfx artist at Northlight.").wait_for()
    admin.shot("member added")
    added = Membership.objects.get(user__username="newcomer", organisation=w.studio)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#membership-{added.pk}").get_by_role("button", name="Remove").click()
    page.get_by_text("newcomer no longer holds the vfx artist role at Northlight.").wait_for()
    admin.shot("member removed")
    assert not Membership.objects.filter(pk=added.pk).exists()


def test_the_drafter_sees_why_they_cannot_approve(visit, committed_world):
    w = committed_world
    draft = consent.grant_draft_create(performer=w.performer, productions=[w.production], by=w.rep, **grant_scope())
    grant = consent.grant_submit(grant=draft, document=pdf_file(), by=w.rep)
    rep = visit("rep", password_for("rep"))
    page = rep.goto(f"/grants/{grant.pk}/")
    button = page.get_by_role("button", name="Approve and activate")
    assert button.is_disabled()
    page.get_by_text("activation needs a second person: you drafted this grant").wait_for()
    rep.shot("approve disabled for the drafter")
