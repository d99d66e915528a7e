"""Every rule cites where it comes from, as a lawyer would check it: a statute and section, a regulation and
article, or an agreement, and never a file of this project (a design note is not an authority anyone can look up).
The rule catalogue page and docs/rules.md show the same citations, with the official text linked where one exists.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from likeness.policy.catalogue import render_catalogue
from likeness.policy.rules import REGISTRY

# A file name (DESIGN.md, RULES.md, rules.py, README...) where a citation should stand.
PROJECT_FILE = re.compile(r"\b[\w./-]+\.(md|py|txt|rst|html|json|ya?ml)\b|\bDESIGN\b|\bRULES\b|\bREADME\b", re.I)
# Official publishers: the legislatures' code pages, Tennessee's Secretary of State, EUR-Lex.
OFFICIAL_HOSTS = {"leginfo.legislature.ca.gov", "www.nysenate.gov", "publications.tnsosfiles.com", "eur-lex.europa.eu"}


def test_every_rule_has_a_source():
    assert REGISTRY
    missing = [r.id for r in REGISTRY.values() if not r.source.strip()]
    assert missing == []


@pytest.mark.parametrize("rule_id", sorted(REGISTRY))
def test_no_rule_source_names_a_project_file(rule_id: str):
    rule = REGISTRY[rule_id]
    assert not PROJECT_FILE.search(rule.source), f"{rule_id} cites {rule.source!r}"


def test_statute_rules_cite_a_section_or_article_and_link_the_official_text():
    """Primary-source statutes name the section (§) or article (Art) they rest on and link it."""
    for rule in REGISTRY.values():
        if rule.source_kind == "primary" and not rule.id.startswith("SAG"):
            assert re.search(r"§|\bArt\b", rule.source), f"{rule.id}: {rule.source}"
            assert rule.source_url, f"{rule.id} has no link to the official text"


def test_source_links_are_official_https_addresses():
    for rule in REGISTRY.values():
        if rule.source_url:
            url = urlsplit(rule.source_url)
            assert url.scheme == "https" and url.netloc in OFFICIAL_HOSTS, f"{rule.id}: {rule.source_url}"


def test_platform_rules_say_which_agreement_or_statute_they_rest_on():
    """A platform rule applies to every production what an agreement or statute asks of those it covers."""
    for rule in REGISTRY.values():
        if rule.source_kind == "platform":
            assert re.search(r"SAG-AFTRA|GDPR|Civil Code|Civil Rights Law", rule.source), f"{rule.id}: {rule.source}"


def test_the_catalogue_file_and_page_cite_no_project_file(db, world):
    text = render_catalogue()
    assert "DESIGN.md" not in text and "RULES.md" not in text
    assert (Path(settings.BASE_DIR) / "docs" / "rules.md").read_text(encoding="utf-8") == text
    client = Client()
    client.force_login(world.counsel)
    page = client.get("/rules/").content.decode()
    assert "DESIGN.md" not in page and "RULES.md" not in page
    assert 'href="https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=LAB&amp;sectionNum=927"' \
        in page
