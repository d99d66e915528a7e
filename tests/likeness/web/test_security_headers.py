"""What every answer says to browsers and caches: a Content-Security-Policy with no inline script or eval, no
framing, and records (contracts, bundles, pages, API answers) marked private and not to be stored."""
from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_pages_carry_a_strict_content_security_policy(world) -> None:
    for response in (Client().get("/login/"), signed_in(world.rep).get("/")):
        policy = directives(response)
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"], "no inline script, no eval"
        assert policy["style-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_contracts_and_records_are_not_stored_by_caches(world, make_grant) -> None:
    grant = make_grant()
    contract = signed_in(world.counsel).get(f"/grants/{grant.pk}/document/")
    assert contract.status_code == 200
    page = signed_in(world.counsel).get(f"/grants/{grant.pk}/")
    api = APIClient()
    api.force_authenticate(world.counsel)
    answer = api.get(f"/api/v1/grants/{grant.pk}/")
    document = api.get(f"/api/v1/grants/{grant.pk}/document/")
    for response in (contract, page, answer, document):
        directives_ = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives_, response["Cache-Control"]


def test_static_files_stay_cacheable(world) -> None:
    response = Client().get("/static/web/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
