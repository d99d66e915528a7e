"""The OpenAPI schema generates without warnings, and the Django admin keeps the immutability rules."""
from __future__ import annotations

import pytest
from django.core.management import call_command

from likeness.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_valid(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/gate/what-if/" in (tmp_path / "schema.yml").read_text()


def test_admin_shows_records_but_refuses_changes_to_immutable_ones(client, world, make_grant):
    grant = make_grant()
    client.force_login(world.ops)
    for url in ("/admin/", "/admin/consent/consentgrant/", f"/admin/consent/consentgrant/{grant.pk}/change/",
                "/admin/audit/auditevent/", "/admin/policy/decision/", "/admin/people/performer/"):
        assert client.get(url).status_code == 200, url
    before = AuditEvent.objects.count()
    page = client.get(f"/admin/consent/consentgrant/{grant.pk}/change/").content.decode()
    assert 'name="depicted_age_max"' not in page  # shown read-only, no input to edit
    assert client.post(f"/admin/consent/consentgrant/{grant.pk}/change/", {"depicted_age_max": 90}).status_code == 403
    event = AuditEvent.objects.first()
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/consent/consentgrant/add/").status_code == 403
    grant.refresh_from_db()
    assert grant.depicted_age_max == 45
    assert AuditEvent.objects.count() == before


def test_admin_edits_are_audited(client, world):
    client.force_login(world.ops)
    response = client.post(f"/admin/organisations/organisation/{world.agency.pk}/change/",
                           {"name": "Brightside Talent Ltd", "kind": "agency"})
    assert response.status_code == 302
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "admin.organisation.changed" and event.actor_label == "ops"
    assert event.data["fields"] == ["name"]


def test_static_assets_are_served_by_the_app(client, settings):
    """The API docs and the admin load their scripts and styles from the app itself, never from a CDN."""
    page = client.get("/api/v1/docs/").content.decode()
    assert "cdn" not in page.lower()
    for asset in ("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css", "/static/admin/css/base.css"):
        response = client.get(asset)
        assert response.status_code == 200, asset
