"""The consent paths in a real browser: a rep drafts consent in the form (with the inline check), submits it with
the signed PDF, counsel approves it; and a revocation whose impact preview lists the queued job and the ready
model it will stop. A screenshot of every page visited is saved (see conftest)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.jobs.models import Job, JobKind, JobState, ModelStatus
from tests.conftest import build_world
from tests.factories import SPECIFIC, fresh_code, pdf_bytes
from tests.likeness.web.conftest import password_for

pytestmark = pytest.mark.slow


@pytest.fixture
def committed_world(live_db) -> SimpleNamespace:
    return build_world()


def test_a_rep_drafts_and_submits_consent_and_counsel_approves_it(visit, committed_world, tmp_path):
    w = committed_world
    rep = visit("rep", password_for("rep"))
    page = rep.goto("/performers/")
    rep.shot("roster")
    page.get_by_role("link", name="Avery Quinn").click()
    page.get_by_role("heading", name="Avery Quinn").wait_for()
    rep.shot("performer")
    page.get_by_role("link", name="Record new consent").click()
    page.get_by_role("heading", name="New consent for Avery Quinn").wait_for()
    rep.shot("empty form")

    page.get_by_label("Training a model on past footage").check()
    page.get_by_label("De-aging", exact=True).check()
    page.get_by_label("Here and Then", exact=True).check()
    page.get_by_label("ICDR: independently created digital replica").check()
    page.get_by_label("Theatrical").check()
    page.get_by_label("Territories").fill("US FR")
    # The inline check: an inverted age range is reported beside the field as soon as the person leaves it.
    page.get_by_label("Youngest depicted age").fill("45")
    page.get_by_label("Oldest depicted age").fill("25")
    page.get_by_label("Oldest depicted age").press("Tab")
    error = page.locator("#id_depicted_age_max-error")
    error.get_by_text("the depicted-age range is inverted (45 > 25)").wait_for()
    assert page.get_by_label("Oldest depicted age").get_attribute("aria-invalid") == "true"
    rep.shot("inline error")
    page.get_by_label("Oldest depicted age").fill("55")
    page.get_by_label("Oldest depicted age").press("Tab")
    page.wait_for_function("() => document.querySelector('#id_depicted_age_max-error').textContent.trim() === ''")
    assert page.get_by_label("Oldest depicted age").get_attribute("aria-invalid") is None
    page.get_by_label("Term ends").fill((timezone.localdate() + dt.timedelta(days=400)).isoformat())
    page.get_by_label("Intended use").fill(SPECIFIC)
    page.get_by_label("Represented by counsel or the union").check()
    page.get_by_label("Signed separately from the employment contract").check()
    page.get_by_label("Explicit consent to biometric processing").check()
    page.get_by_label("Compensation terms").fill("scale plus 40%")
    rep.shot("filled form")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("saved. Submit it with the signed contract").wait_for()
    rep.shot("draft")
    grant = ConsentGrant.objects.get(performer=w.performer)
    assert grant.status == GrantStatus.DRAFT and grant.depicted_age_max == 55

    contract = tmp_path / "signed-contract.pdf"
    contract.write_bytes(pdf_bytes())
    page.get_by_label("Signed contract (PDF)").set_input_files(str(contract))
    page.get_by_role("button", name="Submit for approval").click()
    page.get_by_text("now waits for a second person").wait_for()
    rep.shot("submitted")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.AWAITING_APPROVAL and grant.document_sha256

    counsel = visit("counsel", password_for("counsel"))
    page = counsel.goto("/approvals/")
    counsel.shot("approval queue")
    page.get_by_role("link", name=grant.label).click()
    # Approval binds the performer: without the authenticator code it is refused and says why.
    page.get_by_role("button", name="Approve and activate").click()
    page.get_by_text("confirm it with the 6-digit code").wait_for()
    counsel.shot("code needed")
    page.get_by_label("Authenticator code").fill(fresh_code(w.counsel))
    page.get_by_role("button", name="Approve and activate").click()
    page.get_by_text("approved: it is active now").wait_for()
    counsel.shot("active")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.approved_by == w.counsel


def test_revocation_previews_its_impact_then_revokes(visit, live_world, ready_model):
    job = Job.objects.create(kind=JobKind.AGING, performer=live_world.performer, production=live_world.production,
                             requested_by=live_world.vfx, likeness_model=ready_model, state=JobState.QUEUED,
                             params={"target_age": 30, "frame_start": 0, "frame_end": 8})
    counsel = visit("counsel", password_for("counsel"))
    page = counsel.goto(f"/grants/{live_world.grant.pk}/")
    counsel.shot("grant")
    page.get_by_role("link", name="Revoke…").click()
    page.get_by_role("heading", name="What revoking does").wait_for()
    assert str(job.pk)[:8] in page.locator("#impact-cancelled").inner_text()
    assert str(ready_model.pk)[:8] in page.locator("#impact-models").inner_text()
    counsel.shot("impact preview")
    # Without a reason and a confirmation, nothing happens and the errors say why.
    page.get_by_role("button", name="Revoke consent").click()
    page.get_by_text("tick to confirm the revocation").first.wait_for()
    counsel.shot("revocation refused")
    page.get_by_label("Reason for revocation").fill("the performer withdrew consent")
    page.get_by_label("I understand").check()
    page.get_by_label("Authenticator code").fill(fresh_code(live_world.counsel))
    page.get_by_role("button", name="Revoke consent").click()
    page.get_by_text("Jobs and models under it were stopped").wait_for()
    counsel.shot("revoked")
    assert "Revoked" in page.locator("h1").inner_text()
    live_world.grant.refresh_from_db()
    job.refresh_from_db()
    ready_model.refresh_from_db()
    assert live_world.grant.status == GrantStatus.REVOKED
    assert job.state == JobState.CANCELLED and ready_model.status == ModelStatus.QUARANTINED
