"""The production pages, through Django's test client: studio legal lists, creates and edits its studio's
productions and sets the labour-action flag; another studio's staff neither see nor change them."""
from __future__ import annotations

import pytest

from likeness.audit.models import AuditEvent
from likeness.organisations.models import Role
from likeness.organisations.services import membership_create
from likeness.productions.models import Production
from likeness.productions.services import production_create
from tests.conftest import _user
from tests.likeness.web.test_consent_pages import signed_in

pytestmark = pytest.mark.django_db


def production_form(**overrides: object) -> dict:
    data = {"title": "Long Night", "agreement": "sag_aftra_tv_theatrical_2026", "jurisdictions": "us-ca US-NY",
            "release_territories": "US GB FR", "release_media": ["theatrical", "streaming"]}
    data.update(overrides)
    return data


@pytest.fixture
def theirs(world):
    """A production of the other studio, and that studio's admin."""
    world.other_admin = _user("other_admin")
    membership_create(user=world.other_admin, organisation=world.other_studio, role=Role.ADMIN, by=world.ops)
    return production_create(by=world.other_legal, title="Elsewhere", studio=world.other_studio,
                             agreement="none", jurisdictions=["GB"], release_territories=["GB"],
                             release_media=["television"])


def test_studio_legal_lists_only_its_studios_productions(world, theirs):
    page = signed_in(world.studio_legal).get("/productions/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Here and Then" in html and "Here and Then 2" in html and "SAG-AFTRA TV/Theatrical 2026" in html
    assert "Elsewhere" not in html
    assert 'href="/productions/new/"' in html
    other = signed_in(world.other_legal).get("/productions/").content.decode()
    assert "Elsewhere" in other and "Here and Then" not in other


def test_the_navigation_offers_productions_to_studio_staff_only(world):
    for name, shown in (("studio_legal", True), ("studio_admin", True), ("vfx", True), ("counsel", False),
                        ("rep", False), ("auditor", False)):
        html = signed_in(getattr(world, name)).get("/").content.decode()
        assert ('href="/productions/"' in html) == shown, name
    # VFX staff see their studio's productions, but are offered no change.
    vfx = signed_in(world.vfx)
    assert 'href="/productions/new/"' not in vfx.get("/productions/").content.decode()
    page = vfx.get(f"/productions/{world.production.pk}/").content.decode()
    assert "Edit terms" not in page and "Flag a labour action" not in page


def test_studio_legal_creates_a_production(world):
    client = signed_in(world.studio_legal)
    form = client.get("/productions/new/").content.decode()
    assert "Northlight" in form and "Otherwise Studios" not in form  # only its own studio is offered
    response = client.post("/productions/new/", production_form(studio=world.studio.pk))
    created = Production.objects.get(title="Long Night")
    assert response.status_code == 302 and response.url == f"/productions/{created.pk}/"
    assert created.studio == world.studio and created.jurisdictions == ["US-CA", "US-NY"]
    assert created.release_territories == ["US", "GB", "FR"] and created.release_media == ["theatrical", "streaming"]
    assert AuditEvent.objects.filter(action="production.created", object_id=str(created.pk),
                                     actor=world.studio_legal).exists()
    page = client.get(response.url).content.decode()
    assert "Long Night" in page and "US-CA US-NY" in page and "production.created" in page


def test_bad_input_is_shown_on_the_form_never_a_500(world):
    client = signed_in(world.studio_legal)
    response = client.post("/productions/new/", production_form(studio=world.studio.pk, title="",
                                                                jurisdictions="XX-ZZ", release_territories="EU"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "unknown place code(s): XX-ZZ" in html and "unknown territory code(s): EU" in html
    assert 'aria-invalid="true"' in html
    # The service's own refusal (a title the studio already uses) is shown too.
    duplicate = client.post("/productions/new/", production_form(studio=world.studio.pk, title="Here and Then"))
    assert duplicate.status_code == 400 and "already exists" in duplicate.content.decode()
    # A studio that is not theirs is not a choice.
    foreign = client.post("/productions/new/", production_form(studio=world.other_studio.pk))
    assert foreign.status_code == 400 and "Select a valid choice" in foreign.content.decode()
    assert not Production.objects.filter(title="Long Night").exists()


def test_studio_legal_edits_the_terms(world):
    client = signed_in(world.studio_legal)
    url = f"/productions/{world.production.pk}/edit/"
    form = client.get(url).content.decode()
    assert 'value="US FR"' in form and 'value="US-CA"' in form  # prefilled
    response = client.post(url, production_form(title="Here and Then", agreement="sag_aftra_tv_theatrical_2023",
                                                 release_territories="WORLD", extra_rule_packs=["US-NOFAKES"]))
    assert response.status_code == 302
    world.production.refresh_from_db()
    assert world.production.agreement == "sag_aftra_tv_theatrical_2023"
    assert world.production.release_territories == ["WORLD"] and world.production.extra_rule_packs == ["US-NOFAKES"]
    assert AuditEvent.objects.filter(action="production.updated", object_id=str(world.production.pk)).exists()
    bad = client.post(url, production_form(title="Here and Then", jurisdictions="nowhere"))
    assert bad.status_code == 400 and "unknown place code(s): NOWHERE" in bad.content.decode()


def test_the_labour_action_flag_is_set_and_cleared_with_a_reason(world):
    client = signed_in(world.studio_legal)
    url = f"/productions/{world.production.pk}/labour-action/"
    missing = client.post(url, {"active": "1", "note": "  "})
    assert missing.status_code == 400 and "say why the flag is set or cleared" in missing.content.decode()
    world.production.refresh_from_db()
    assert not world.production.labour_action
    assert client.post(url, {"active": "1", "note": "SAG-AFTRA strike from 14 July"}).status_code == 302
    world.production.refresh_from_db()
    assert world.production.labour_action and world.production.labour_action_since
    page = client.get(f"/productions/{world.production.pk}/").content.decode()
    assert "Clear the labour-action flag" in page and "SAG-AFTRA strike from 14 July" in page
    assert client.post(url, {"active": "0", "note": "strike ended 9 November"}).status_code == 302
    world.production.refresh_from_db()
    assert not world.production.labour_action and world.production.labour_action_since is None
    actions = list(AuditEvent.objects.filter(object_id=str(world.production.pk), action__startswith="production.labour")
                   .values_list("action", flat=True))
    assert actions == ["production.labour_action_set", "production.labour_action_cleared"]


def test_another_studio_neither_sees_nor_changes_the_production(world, theirs):
    events = AuditEvent.objects.count()
    for name in ("other_legal", "other_admin", "other_vfx"):
        client = signed_in(getattr(world, name))
        pk = world.production.pk
        assert client.get(f"/productions/{pk}/").status_code == 404, name
        assert client.get(f"/productions/{pk}/edit/").status_code == 404, name
        assert client.post(f"/productions/{pk}/edit/", production_form(title="Taken")).status_code == 404, name
        assert client.post(f"/productions/{pk}/labour-action/", {"active": "1", "note": "x"}).status_code == 404, name
    # And the other way round: this studio's legal cannot open theirs.
    assert signed_in(world.studio_legal).get(f"/productions/{theirs.pk}/").status_code == 404
    world.production.refresh_from_db()
    assert world.production.title == "Here and Then" and not world.production.labour_action
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("who", ["vfx", "auditor", "counsel", "rep"])
def test_those_who_may_not_change_productions_are_refused_with_a_page(world, who):
    """VFX staff see but do not change; auditors change nothing; a law firm's legal is not studio staff."""
    client = signed_in(getattr(world, who))
    pk = world.production.pk
    assert client.post("/productions/new/", production_form(studio=world.studio.pk)).status_code == 403
    assert client.post(f"/productions/{pk}/labour-action/", {"active": "1", "note": "x"}).status_code in (403, 404)
    edit = client.get(f"/productions/{pk}/edit/")
    assert edit.status_code in (403, 404)
    if edit.status_code == 403:
        assert "Only legal and admins of Northlight may change this production" in edit.content.decode() \
            or "read-only" in edit.content.decode() or "Only the staff of a studio" in edit.content.decode()
    world.production.refresh_from_db()
    assert not world.production.labour_action and not Production.objects.filter(title="Long Night").exists()
