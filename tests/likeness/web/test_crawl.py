"""Every page reachable from each demo account's home renders, and nobody is shown a link they may not follow.

The world is the one `make run` + `make demo` build (demo accounts, consent, a trained model, an aging job, a
signed and released output), so the crawl sees every kind of page with real records behind it. The same crawl
then checks two promises across every URL at once:
- an auditor can change nothing: every form any role was shown is posted as the auditor and refused;
- a VFX user never reaches a contract document or compensation terms.
"""
from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from types import SimpleNamespace
from unittest import mock
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from likeness.audit.models import AuditEvent
from likeness.consent.models import ConsentGrant
from likeness.demo.seed import ACCOUNTS
from tests.conftest import shared_records

# Uploads that only read (verification, registry look-up) are open to auditors by design.
READ_ONLY_POSTS = {"/verify/", "/outputs/"}
# The Security page's forms change the signed-in person's own credentials (password, authenticator, API tokens):
# everyone, auditors included, keeps those; they reach no platform record (tests/likeness/accounts covers them).
OWN_ACCOUNT = "/account/"


def _skipped(action: str) -> bool:
    path = urlsplit(action).path
    return path in READ_ONLY_POSTS or path.startswith(OWN_ACCOUNT)
MAX_PAGES = 400


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.post_forms: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self.post_forms.append(a.get("action") or "")
        for attr in ("hx-post", "hx-delete", "hx-put", "hx-patch"):
            if a.get(attr):
                self.post_forms.append(a[attr])


def _local(base: str, href: str) -> str | None:
    url = urlsplit(urljoin(base, href))
    if url.scheme not in ("", "http") or url.netloc not in ("", "testserver"):
        return None
    if url.path.startswith(("/admin/", "/static/", "/api/")):
        return None  # the operator admin and the JSON API have their own tests
    return url.path + (f"?{url.query}" if url.query else "")


def crawl(client: Client) -> SimpleNamespace:
    seen: dict[str, int] = {}
    forms: set[str] = set()
    bodies: dict[str, str] = {}
    queue = deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path, follow=True)
        seen[path] = response.status_code
        if "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        bodies[path] = html
        parser = Links()
        parser.feed(html)
        for href in parser.hrefs:
            target = _local(path, href)
            if target and target not in seen:
                queue.append(target)
        forms.update(a for a in (_local(path, f or path) for f in parser.post_forms) if a)
    return SimpleNamespace(status=seen, forms=forms, bodies=bodies)


@pytest.fixture(scope="module")
def demo_records(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo accounts and consent, and the demo chain run through to a released, signed output: built once for
    the module (each test runs in a savepoint over it and rolls back what it changed)."""
    from likeness.demo.chain import run_demo_chain
    from likeness.demo.seed import seed_demo
    from likeness.provenance.services import pki_initialise

    base = tmp_path_factory.mktemp("demo-world")
    folders = {"PKI_DIR": base / "pki", "ENGINE_WORK_DIR": base / "engine", "VAR_DIR": base / "var",
               "PREVIEW_DIR": base / "preview", "AUDIT_CHECKPOINT_DIR": base / "audit-checkpoints"}
    with shared_records(django_db_blocker, base / "media"), override_settings(**folders):
        pki_initialise()
        # Demo data exists only in local runs (DEBUG on): the demo authenticators refuse to be made otherwise.
        # The worker's first act, closing connections left from an earlier task, would close the one holding
        # the module's transaction: in-process here, the runner keeps it.
        with override_settings(DEBUG=True), mock.patch("likeness.jobs.runner.close_old_connections"):
            seed_demo()
            job = run_demo_chain(lambda _: None, steps=30)
        assert job.state == "released", (job.state, job.state_reason)
        yield SimpleNamespace(job=job, media=base / "media", folders=folders, crawls={})


@pytest.fixture
def demo_world(demo_records, db, settings):
    """The module's demo world for one test, in a savepoint (`db`), with the folders its files are in."""
    settings.MEDIA_ROOT = demo_records.media
    for name, folder in demo_records.folders.items():
        setattr(settings, name, folder)
    return demo_records


def crawled(demo_world: SimpleNamespace, username: str) -> SimpleNamespace:
    """One account's crawl of the demo world, done once per module: the records do not change between tests."""
    if username not in demo_world.crawls:
        demo_world.crawls[username] = crawl(_client(username))
    return demo_world.crawls[username]


def _client(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.mark.slow
def test_every_page_reachable_from_each_demo_home_renders(demo_world):
    for account in ACCOUNTS:
        result = crawled(demo_world, account.username)
        broken = {p: s for p, s in result.status.items() if s != 200}
        assert not broken, f"{account.username} was shown links that do not open: {broken}"
        assert len(result.status) > 3 or account.username == "studio_admin", (account.username, result.status)
        for path, html in result.bodies.items():
            assert "Traceback" not in html and "TemplateSyntaxError" not in html, (account.username, path)


@pytest.mark.slow
def test_an_auditor_can_change_nothing_through_any_form(demo_world):
    forms: set[str] = set()
    for account in ACCOUNTS:
        forms |= crawled(demo_world, account.username).forms
    forms.discard("/logout/")
    assert len(forms) >= 5, f"the crawl found too few forms to mean anything: {forms}"
    auditor = _client("auditor")
    events = AuditEvent.objects.count()
    for action in sorted(forms):
        if _skipped(action):
            continue
        response = auditor.post(action, {"note": "x", "reason": "x", "target_age": "30"})
        assert response.status_code in (403, 405), f"POST {action} as auditor answered {response.status_code}"
    assert AuditEvent.objects.count() == events, "an auditor's POST changed something"


@pytest.mark.slow
def test_a_vfx_user_never_reaches_contracts_or_compensation(demo_world):
    grant = ConsentGrant.objects.filter(status="active").first()
    secret = grant.compensation_terms
    assert secret
    for username in ("vfx", "supervisor"):
        client = _client(username)
        result = crawled(demo_world, username)
        for path, html in result.bodies.items():
            assert secret not in html, f"{username} saw compensation terms on {path}"
            assert not re.search(r"/document/?", path), f"{username} reached a contract document at {path}"
        # And not by typing the URL either: every document route a rep can see is refused.
        rep_pages = crawled(demo_world, "counsel")
        documents = {p for p in rep_pages.status if "document" in p}
        assert documents, "the rep's pages should link the signed contract"
        for path in documents:
            assert client.get(path).status_code in (403, 404), f"{username} opened {path}"


def _outsiders() -> list[str]:
    """A second studio (legal, VFX, admin), a second agency's rep, an auditor of a firm engaged on the second
    studio only, and one of a firm with no engagement: none of them has any tie to the demo's records."""
    import datetime as dt

    from django.utils import timezone

    from likeness.organisations.services import audit_engagement_grant, membership_create, organisation_create

    ops = get_user_model().objects.get(username="operator")
    studio = organisation_create(name="Second Studio", kind="studio", by=ops)
    agency = organisation_create(name="Second Agency", kind="agency", by=ops)
    engaged_firm = organisation_create(name="Engaged Elsewhere", kind="audit_firm", by=ops)
    idle_firm = organisation_create(name="Idle Audit", kind="audit_firm", by=ops)
    today = timezone.now().date()
    audit_engagement_grant(audit_firm=engaged_firm, organisations=[studio], performers=[], by=ops,
                           period_start=today - dt.timedelta(days=30), period_end=today + dt.timedelta(days=30),
                           starts_on=today, ends_on=today + dt.timedelta(days=30), purpose="second studio audit")
    names = []
    for name, org, role in (("x_legal", studio, "legal"), ("x_vfx", studio, "vfx_artist"),
                            ("x_admin", studio, "admin"), ("x_rep", agency, "talent_rep"),
                            ("x_auditor", engaged_firm, "auditor"), ("x_idle_auditor", idle_firm, "auditor")):
        user = get_user_model().objects.create_user(name, f"{name}@example.test", "pw-" + name)
        membership_create(user=user, organisation=org, role=role, by=ops)
        names.append(name)
    return names


# Pages that name no record: lists, the home page, the rule catalogue, forms to start something.
_OBJECT_PATH = re.compile(r"/(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(/|$)")


@pytest.mark.slow
def test_another_tenant_reaches_none_of_the_demo_records(demo_world):
    """Every page and form any demo account reached, tried by people of other organisations: each record page
    is refused, no page shows the performer or the money, and no form changes anything."""
    pages: set[str] = set()
    forms: set[str] = set()
    for account in ACCOUNTS:
        result = crawled(demo_world, account.username)
        pages |= set(result.status)
        forms |= result.forms
    forms.discard("/logout/")
    record_pages = {p for p in pages if _OBJECT_PATH.search(urlsplit(p).path)}
    assert len(record_pages) >= 15, f"too few record pages to mean anything: {sorted(record_pages)}"
    grant = ConsentGrant.objects.filter(status="active").first()
    secrets = [grant.performer.legal_name, grant.compensation_terms]
    outsiders = _outsiders()
    events = AuditEvent.objects.count()
    tried = 0
    for username in outsiders:
        client = _client(username)
        for path in sorted(pages):
            response = client.get(path)
            tried += 1
            if path in record_pages:
                assert response.status_code in (403, 404), f"{username} opened {path}: {response.status_code}"
            else:
                assert response.status_code in (200, 302, 403, 404), (username, path, response.status_code)
            body = response.content.decode(errors="replace")
            for secret in secrets:
                assert secret not in body, f"{username} saw {secret!r} on {path}"
        for action in sorted(forms):
            if _skipped(action):
                continue
            response = client.post(action, {"note": "x", "reason": "x", "target_age": "30"})
            tried += 1
            assert response.status_code in (400, 403, 404, 405), f"POST {action} as {username}: {response.status_code}"
    assert AuditEvent.objects.count() == events, "another tenant's request changed something"
    assert tried > 6 * len(record_pages)
