"""The shell every page shares: sign-in, role home pages, role-filtered navigation, error pages."""
from __future__ import annotations

import pytest
from django.test import Client

from tests.likeness.web.conftest import password_for


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def nav_labels(html: str) -> list[str]:
    import re

    nav = html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    return re.findall(r">([^<>]+)</a>", nav)


@pytest.mark.django_db
def test_anonymous_visitors_land_on_the_login_page():
    response = Client().get("/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    page = Client().get("/login/")
    assert page.status_code == 200
    assert b'<label for="id_username">Username</label>' in page.content


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_message(world):
    response = Client().post("/login/", {"username": "rep", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


@pytest.mark.django_db
def test_login_with_the_password_lands_on_home(world):
    client = Client()
    response = client.post("/login/", {"username": "rep", "password": password_for("rep")}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert b"Welcome, rep" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("who, shown, hidden", [
    ("rep", {"Performers", "Approvals", "Outputs", "Decisions", "Rules"}, {"Jobs", "Verify a file", "Audit log"}),
    ("vfx", {"Jobs", "Request training", "Request aging", "Models", "Live preview"},
     {"Performers", "Approvals", "Verify a file", "Audit log"}),
    ("auditor", {"Verify a file", "Outputs", "Audit log", "Usage reports", "Decisions"},
     {"Performers", "Approvals", "Jobs", "Request aging"}),
    ("studio_admin", {"Rules"}, {"Performers", "Jobs", "Verify a file", "Audit log"}),
])
def test_navigation_shows_only_what_the_role_may_open(world, who, shown, hidden):
    response = signed_in(getattr(world, who)).get("/")
    assert response.status_code == 200
    labels = set(nav_labels(response.content.decode()))
    assert shown <= labels, shown - labels
    assert not (hidden & labels), hidden & labels


@pytest.mark.django_db
def test_unknown_pages_are_explained_not_dumped(world):
    response = signed_in(world.rep).get("/no/such/page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Not found" in text and "not visible to your organisation" in text
    assert "URLconf" not in text


def test_the_static_assets_are_served_by_the_app(client):
    from django.contrib.staticfiles import finders

    assert finders.find("web/vendor/htmx-2.0.11.min.js")
    assert finders.find("web/app.css")


def test_the_browser_signs_in(visit, live_world):
    v = visit("rep", password_for("rep"))
    assert "Welcome, rep" in v.page.content()
    v.shot("home")
