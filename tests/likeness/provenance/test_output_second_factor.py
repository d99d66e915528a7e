"""Approving an output for release through the API needs a fresh second factor (codes from the independent
RFC 6238 implementation in tests.factories)."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import fresh_code

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(get_user_model().objects.get(pk=user.pk))  # as a new request loads it
    return api


def test_output_approval_through_the_api_needs_a_code(registered) -> None:
    r = registered()
    api = api_as(r.world.rep)
    url = f"/api/v1/provenance/outputs/{r.output.pk}/approve/"
    refused = api.post(url, {"note": "reviewed"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "second_factor_required"
    ok = api.post(url, {"note": "reviewed", "otp_code": fresh_code(r.world.rep)}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
