"""The second factor on the acts that bind a performer (approve a grant, revoke one, approve an output), through
the API and the pages. Codes come from tests.factories.totp_code, an RFC 6238 implementation independent of the
one the platform uses."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from likeness.accounts.second_factor import SESSION_KEY
from likeness.audit.selectors import audit_chain_verify
from likeness.consent import services as consent
from likeness.consent.models import ConsentGrant
from tests.factories import fresh_code, pdf_file, totp_code

pytestmark = pytest.mark.django_db


def as_stored(user):
    """The account as a new request loads it: no second factor proved yet."""
    return get_user_model().objects.get(pk=user.pk)


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(as_stored(user))
    return api


@pytest.fixture
def submitted(world, make_grant):
    return consent.grant_submit(grant=make_grant(activate=False), document=pdf_file(), by=world.rep)


def test_api_approval_needs_a_code(world, submitted) -> None:
    api = api_as(world.counsel)
    url = f"/api/v1/grants/{submitted.pk}/approve/"
    refused = api.post(url, {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "second_factor_required" and refused.json()["enrolled"] is True
    wrong = api.post(url, {"otp_code": "000000" if fresh_code(world.counsel) != "000000" else "111111"},
                     format="json")
    assert wrong.status_code == 400 and "otp_code" in wrong.json()
    assert api.post(url, {"otp_code": "12ab56"}, format="json").status_code == 400
    assert ConsentGrant.objects.get(pk=submitted.pk).status == "awaiting_approval"
    # Right after a wrong code even the right one waits (django-otp's back-off): guessing is slow.
    code = fresh_code(world.counsel)
    waits = api.post(url, {"otp_code": code}, format="json")
    assert waits.status_code == 400 and "wait" in waits.json()["otp_code"][0]
    TOTPDevice.objects.filter(user=world.counsel).update(
        throttling_failure_timestamp=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))
    assert api.post(url, {"otp_code": code}, format="json").status_code == 200
    assert ConsentGrant.objects.get(pk=submitted.pk).status == "active"
    assert audit_chain_verify().ok


def test_a_code_works_once(world, make_grant) -> None:
    first = make_grant()
    second = make_grant(productions=[world.sequel])
    code = fresh_code(world.counsel)
    api = api_as(world.counsel)
    assert api.post(f"/api/v1/grants/{first.pk}/revoke/", {"reason": "withdrawn", "otp_code": code},
                    format="json").status_code == 200
    # A replayed code (seen on a shoulder, a screen share, a proxy log) is refused.
    replay = api_as(world.counsel).post(f"/api/v1/grants/{second.pk}/revoke/", {"reason": "withdrawn",
                                                                                "otp_code": code}, format="json")
    assert replay.status_code == 400
    assert ConsentGrant.objects.get(pk=second.pk).status == "active"


def test_no_authenticator_no_binding_act(world, submitted) -> None:
    TOTPDevice.objects.filter(user=world.counsel).delete()
    response = api_as(world.counsel).post(f"/api/v1/grants/{submitted.pk}/approve/", {"otp_code": "123456"},
                                          format="json")
    assert response.status_code == 400  # no authenticator can match the code
    response = api_as(world.counsel).post(f"/api/v1/grants/{submitted.pk}/approve/", {}, format="json")
    assert response.status_code == 403 and response.json()["enrolled"] is False
    assert "set up an authenticator" in response.json()["detail"]


def test_the_right_code_from_someone_without_rights_is_still_refused(world, submitted) -> None:
    response = api_as(world.other_rep).post(f"/api/v1/grants/{submitted.pk}/approve/",
                                            {"otp_code": fresh_code(world.other_rep)}, format="json")
    assert response.status_code == 404  # another agency does not even see the grant
    assert ConsentGrant.objects.get(pk=submitted.pk).status == "awaiting_approval"


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_pages_ask_for_the_code_once_per_window(world, make_grant, submitted) -> None:
    client = page_client(world.counsel)
    page = client.get(f"/grants/{submitted.pk}/").content.decode()
    assert 'name="otp_code"' in page
    refused = client.post(f"/grants/{submitted.pk}/approve/", follow=True)
    assert "confirm it with the 6-digit code" in refused.content.decode()
    assert ConsentGrant.objects.get(pk=submitted.pk).status == "awaiting_approval"
    wrong = client.post(f"/grants/{submitted.pk}/approve/", {"otp_code": "99999"}, follow=True)
    assert "the 6 digits your authenticator app shows" in wrong.content.decode()
    client.post(f"/grants/{submitted.pk}/approve/", {"otp_code": fresh_code(world.counsel)})
    assert ConsentGrant.objects.get(pk=submitted.pk).status == "active"
    # Within the window the session's proof stands: the next binding act asks no code.
    other = make_grant(productions=[world.sequel])
    assert 'name="otp_code"' not in client.get(f"/grants/{other.pk}/revoke/").content.decode()
    client.post(f"/grants/{other.pk}/revoke/", {"reason": "withdrawn", "confirm": "on"})
    assert ConsentGrant.objects.get(pk=other.pk).status == "revoked"
    # Once the window has passed it asks again.
    session = client.session
    proof = session[SESSION_KEY]
    proof["at"] = (dt.datetime.fromisoformat(proof["at"]) - dt.timedelta(minutes=16)).isoformat()
    session[SESSION_KEY] = proof
    session.save()
    assert 'name="otp_code"' in client.get(f"/grants/{submitted.pk}/revoke/").content.decode()
    assert audit_chain_verify().ok


def test_setting_up_an_authenticator_on_the_security_page(world) -> None:
    user = get_user_model().objects.create_user("newcomer", password="pw-newcomer")
    client = page_client(user)
    assert "Set up an authenticator" in client.get("/account/").content.decode()
    page = client.post("/account/authenticator/begin/", follow=True).content.decode()
    assert "<svg" in page  # the QR code
    secret = page.split('id="authenticator-secret">')[1].split("<")[0].replace(" ", "")
    import base64

    key = base64.b32decode(secret).hex()
    assert client.post("/account/authenticator/confirm/", {"code": "123456" if totp_code(key) != "123456" else
                                                           "654321"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert client.post("/account/authenticator/confirm/", {"code": totp_code(key)}).status_code == 302
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    # A stolen session cannot swap the authenticator for its own once the proof has gone stale.
    session = client.session
    del session[SESSION_KEY]
    session.save()
    refused = client.post("/account/authenticator/begin/", follow=True).content.decode()
    assert "needs a second factor" in refused or "confirm it with the 6-digit code" in refused
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()
