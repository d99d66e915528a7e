"""The second factor in a real browser: a talent rep with no authenticator is told to set one up, sets it up on
the Security page from the secret shown there (codes from the RFC 6238 implementation in tests.factories, as an
authenticator app would compute them), and approves consent with a code. Every page passes the
Content-Security-Policy: the browser reports no violation."""
from __future__ import annotations

import base64
import datetime as dt
import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from likeness.consent import services as consent
from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.organisations.models import Role
from likeness.organisations.services import membership_create
from tests.conftest import build_world, grant_scope
from tests.factories import pdf_file, totp_code

pytestmark = pytest.mark.slow


@pytest.fixture
def committed_world(live_db) -> SimpleNamespace:
    w = build_world()
    w.newcomer = get_user_model().objects.create_user("newcomer", "newcomer@example.test", "pw-newcomer")
    membership_create(user=w.newcomer, organisation=w.agency, role=Role.TALENT_REP, by=w.ops)
    draft = consent.grant_draft_create(performer=w.performer, productions=[w.production], by=w.rep, **grant_scope())
    w.submitted = consent.grant_submit(grant=draft, document=pdf_file(), by=w.rep)
    return w


def _at_step(step: int) -> dt.datetime:
    """The start of a 30-second TOTP step, for the code an authenticator app shows during it."""
    return dt.datetime.fromtimestamp(step * 30, tz=dt.UTC)


def note_violation(violations: list[str], message: Any) -> None:
    if "Content Security Policy" in message.text:
        violations.append(f"{message.page.url}: {message.text}")


def test_a_rep_sets_up_an_authenticator_and_approves_with_it(visit, committed_world) -> None:
    w = committed_world
    rep = visit("newcomer", "pw-newcomer")
    violations: list[str] = []
    rep.page.on("console", lambda m: note_violation(violations, m))
    page = rep.goto(f"/grants/{w.submitted.pk}/")
    page.get_by_text("needs a second factor").wait_for()
    rep.shot("no authenticator yet")
    page.get_by_role("link", name="set up an authenticator").click()
    page.get_by_role("heading", name="Security").wait_for()
    page.get_by_role("button", name="Set up an authenticator").click()
    page.locator("#authenticator-setup svg").wait_for()
    rep.shot("qr code")
    key = base64.b32decode(page.locator("#authenticator-secret").inner_text().replace(" ", "")).hex()
    setup_step = int(time.time() // 30)
    page.get_by_label("Code from the app").fill(totp_code(key, at=_at_step(setup_step)))
    page.get_by_role("button", name="Confirm authenticator").click()
    page.get_by_text("Authenticator set up").wait_for()
    rep.shot("set up")

    # A fresh sign-in has no proof yet: the approval asks for the code, and takes it.
    again = visit("newcomer", "pw-newcomer", label="newcomer-again")
    again.page.on("console", lambda m: note_violation(violations, m))
    page = again.goto(f"/grants/{w.submitted.pk}/")
    page.get_by_label("Authenticator code").fill("000000" if totp_code(key) != "000000" else "111111")
    page.get_by_role("button", name="Approve and activate").click()
    page.get_by_text("does not match").wait_for()
    assert ConsentGrant.objects.get(pk=w.submitted.pk).status == GrantStatus.AWAITING_APPROVAL
    again.shot("wrong code")
    # django-otp makes the next try wait a second after a wrong code. The person types the code on the app's
    # screen now or, while that is still the one set-up spent, the next one (a step ahead is accepted). Not
    # always the next one: had set-up's code reached the server in the following step, the server would now
    # reckon the app a step behind (its drift), and a code two steps ahead of the server's clock is refused.
    page.wait_for_timeout(1100)
    next_code = totp_code(key, at=_at_step(max(setup_step + 1, int(time.time() // 30))))
    page.get_by_label("Authenticator code").fill(next_code)
    page.get_by_role("button", name="Approve and activate").click()
    page.get_by_text("approved: it is active now").wait_for()
    again.shot("approved")
    grant = ConsentGrant.objects.get(pk=w.submitted.pk)
    assert grant.status == GrantStatus.ACTIVE and grant.approved_by == w.newcomer
    for path in ("/", "/account/", "/performers/", f"/grants/{grant.pk}/", "/api/v1/docs/"):
        again.goto(path)
    again.page.wait_for_timeout(300)
    assert violations == [], violations
