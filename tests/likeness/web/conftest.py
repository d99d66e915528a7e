"""Page tests. Two kinds:
- Django's test client, for what a page shows and refuses (fast, on the test database);
- a real browser (Playwright driving Debian's Chromium) against a live server, for each role's main path.
  These save a screenshot of every page they visit under the artifacts folder (LIKENESS_ARTIFACTS_DIR,
  default var/artifacts/screenshots). Without Chromium or Playwright they are skipped with the reason."""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("LIKENESS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("LIKENESS_ARTIFACTS_DIR", Path(settings.BASE_DIR) / "var" / "artifacts")) / "screenshots"


def _why_no_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set LIKENESS_CHROMIUM)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _why_no_browser()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between page
    # steps are still synchronous and safe, so Django's async guard is lifted for these tests only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


class Visit:
    """A browser page signed in as one user, that saves a numbered screenshot of each step."""

    def __init__(self, page: Any, base_url: str, folder: Path):
        self.page, self.base_url, self.folder, self.count = page, base_url, folder, 0

    def goto(self, path: str) -> Any:
        self.page.goto(self.base_url + path)
        return self.page

    def shot(self, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, username: str, password: str) -> Any:
        self.goto("/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(self.base_url + "/")
        return self.page


@pytest.fixture
def visit(browser, live_server, request) -> Callable[..., Visit]:
    """visit(username, password) -> a signed-in Visit in a fresh browser context (its own cookies), on committed
    data (the live server answers from another thread)."""
    request.getfixturevalue("live_db")
    contexts = []
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)

    def open_as(username: str, password: str, *, label: str | None = None) -> Visit:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        v = Visit(page, live_server.url, folder / (label or username))
        v.folder.mkdir(parents=True, exist_ok=True)
        v.login(username, password)
        return v

    yield open_as
    failed = getattr(request.node, "_call_report", None)
    for index, context in enumerate(contexts):
        if failed is not None and failed.failed:
            _save_failure(context, folder, f"failed-{index}")
        context.close()


def _save_failure(context: Any, folder: Path, stem: str) -> None:
    """What each page of a failed test showed when it failed, beside its step screenshots: the screenshot and
    the HTML, since a timeout's message says only what was awaited."""
    for number, page in enumerate(context.pages):
        name = f"{stem}-{number}"
        try:
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            (folder / f"{name}.html").write_text(page.content())
        except Exception as error:  # the test's own failure is the one to report
            (folder / f"{name}.txt").write_text(f"could not save the page: {error}\n")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """The call phase's report, kept on the test for the visit fixture's teardown."""
    report = yield
    if report.when == "call":
        item._call_report = report  # type: ignore[attr-defined]
    return report


def password_for(username: str) -> str:
    """The password tests.conftest gives every account it creates."""
    return "pw-" + username


@pytest.fixture
def people() -> SimpleNamespace:
    return SimpleNamespace(password=password_for)
