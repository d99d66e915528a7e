"""Shared fixtures: a small world of organisations, one user per role, a performer, productions, and a way
to make grants through the real services (draft -> submit -> approve)."""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test import override_settings
from django.utils import timezone

from likeness.common import vocabulary as vocab
from likeness.consent import services as consent
from likeness.organisations.models import OrganisationKind, Role
from likeness.organisations.services import audit_engagement_grant, membership_create, organisation_create
from likeness.people.services import performer_create, representation_create
from likeness.productions.services import production_create
from tests.factories import SPECIFIC, give_authenticator, pdf_file


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules with a test marked `slow` run first, so that when the suite is spread over several processes
    (`make test` runs pytest-xdist, a module per process at a time) the long ones start at once instead of
    finishing last on one process while the other is idle. The order inside a module is kept."""
    seen: set[str] = set()
    for item in items:
        if item.nodeid in seen:
            # xdist hands tests out by node id: a duplicate would silently run once, or not at all.
            raise pytest.UsageError(f"two tests have the node id {item.nodeid}: give each its own")
        seen.add(item.nodeid)
    slow_modules = {getattr(item, "module", None) for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: getattr(item, "module", None) not in slow_modules)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the -wal and -shm files SQLite leaves beside this process's test database once Django has deleted
    the database itself (a connection of another thread still had it open), so runs do not pile them up in var/."""
    from django.conf import settings

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and name:
        for leftover in [*Path(name).parent.glob(Path(name).name + "*-wal"),
                         *Path(name).parent.glob(Path(name).name + "*-shm")]:
            if not leftover.with_name(leftover.name[:-4]).exists():
                leftover.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PREVIEW_DIR = tmp_path / "preview"
    # Each test's audit chain is checked against its own checkpoints, never against a local run's.
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    # The CA lives with the instance's data (var/pki): a test that makes or reads one never touches a local run's.
    settings.PKI_DIR = tmp_path / "pki"
    # Password hashing is deliberately slow; tests create many accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # API throttles count in the cache: each test starts with none counted.
    cache.clear()


def _user(name: str) -> Any:
    """An account with an authenticator whose second factor is fresh on the returned object (as after
    sign-in): binding acts called through services work; pages and the API ask for a code as they would."""
    user = get_user_model().objects.create_user(name, f"{name}@example.test", "pw-" + name)
    give_authenticator(user)
    return user


@pytest.fixture
def world(db) -> SimpleNamespace:
    return build_world()


def build_world() -> SimpleNamespace:
    ops = get_user_model().objects.create_superuser("ops", "ops@example.test", "pw")
    w = SimpleNamespace(ops=ops)
    w.studio = organisation_create(name="Northlight", kind=OrganisationKind.STUDIO, by=ops)
    w.agency = organisation_create(name="Brightside", kind=OrganisationKind.AGENCY, by=ops)
    w.law = organisation_create(name="Keller LLP", kind=OrganisationKind.LAW_FIRM, by=ops)
    w.audit_firm = organisation_create(name="Ledger", kind=OrganisationKind.AUDIT_FIRM, by=ops)
    w.other_agency = organisation_create(name="Elsewhere Talent", kind=OrganisationKind.AGENCY, by=ops)
    w.other_studio = organisation_create(name="Otherwise Studios", kind=OrganisationKind.STUDIO, by=ops)
    w.other_audit_firm = organisation_create(name="Tally & Co", kind=OrganisationKind.AUDIT_FIRM, by=ops)
    roles = {
        "rep": (w.agency, Role.TALENT_REP), "counsel": (w.law, Role.LEGAL),
        "studio_legal": (w.studio, Role.LEGAL), "vfx": (w.studio, Role.VFX_ARTIST),
        "supervisor": (w.studio, Role.VFX_SUPERVISOR), "auditor": (w.audit_firm, Role.AUDITOR),
        "studio_admin": (w.studio, Role.ADMIN), "other_rep": (w.other_agency, Role.TALENT_REP),
        "other_vfx": (w.other_studio, Role.VFX_ARTIST), "other_legal": (w.other_studio, Role.LEGAL),
        "other_auditor": (w.other_audit_firm, Role.AUDITOR),
    }
    for name, (org, role) in roles.items():
        user = _user(name)
        membership_create(user=user, organisation=org, role=role, by=ops)
        setattr(w, name, user)
    # Several roles at once: VFX at the other studio, and auditor at the firm engaged to audit this studio.
    w.vfx_auditor = _user("vfx_auditor")
    membership_create(user=w.vfx_auditor, organisation=w.other_studio, role=Role.VFX_ARTIST, by=ops)
    membership_create(user=w.vfx_auditor, organisation=w.audit_firm, role=Role.AUDITOR, by=ops)
    w.performer = performer_create(by=w.rep, representing=w.agency, legal_name="Avery Quinn",
                                   date_of_birth=dt.date(1961, 4, 12), domicile="US-CA",
                                   union_memberships=["sag_aftra"])
    representation_create(performer=w.performer, organisation=w.law, kind="counsel", by=w.rep)
    w.production = production_create(by=w.studio_legal, title="Here and Then", studio=w.studio,
                                      agreement=vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026, jurisdictions=["US-CA"],
                                      release_territories=["US", "FR"], release_media=["theatrical"])
    w.sequel = production_create(by=w.studio_legal, title="Here and Then 2", studio=w.studio,
                                 agreement=vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026, jurisdictions=["US-CA"],
                                 release_territories=["US"], release_media=["theatrical"])
    today = timezone.now().date()
    # Ledger audits this studio and the performer's representatives; Tally & Co audits the other studio only.
    w.engagement = audit_engagement_grant(
        audit_firm=w.audit_firm, organisations=[w.studio, w.agency, w.law], performers=[], by=ops,
        period_start=today - dt.timedelta(days=365), period_end=today + dt.timedelta(days=365),
        starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=365), purpose="annual audit")
    w.other_engagement = audit_engagement_grant(
        audit_firm=w.other_audit_firm, organisations=[w.other_studio], performers=[], by=ops,
        period_start=today - dt.timedelta(days=365), period_end=today + dt.timedelta(days=365),
        starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=365), purpose="annual audit")
    return w


def grant_scope(**overrides: Any) -> dict[str, Any]:
    today = timezone.now().date()
    scope = dict(
        uses=["training", "de_aging"], depicted_age_min=25, depicted_age_max=45, media=["theatrical", "streaming"],
        territories=["WORLD"], term_start=today - dt.timedelta(days=1), term_end=today + dt.timedelta(days=365),
        replica_types=["digital_alteration", "icdr"], use_description=SPECIFIC, separately_signed=True,
        represented_by_counsel=True, biometric_consent_explicit=True, compensation_terms="scale plus 40%",
        description_given_at=timezone.now() - dt.timedelta(days=5),
    )
    scope.update(overrides)
    return scope


def grant_make(world: SimpleNamespace, activate: bool = True, productions: list | None = None, **overrides: Any) -> Any:
    """A grant of the world's performer through the services; activate=True runs submit and the second party's
    approval."""
    grant = consent.grant_draft_create(performer=world.performer, productions=productions or [world.production],
                                       by=world.rep, **grant_scope(**overrides))
    if activate:
        grant = consent.grant_submit(grant=grant, document=pdf_file(), by=world.rep)
        grant = consent.grant_approve(grant=grant, by=world.counsel)
    return grant


@pytest.fixture
def make_grant(world):
    """Create a grant through the services; activate=True runs submit and the second party's approval."""
    return lambda activate=True, productions=None, **overrides: grant_make(world, activate, productions, **overrides)


@contextmanager
def shared_records(django_db_blocker: Any, media: Path) -> Iterator[None]:
    """Records built once for a whole module, as Django's TestCase.setUpTestData does: written inside a transaction
    that is rolled back when the module ends, while each test runs in a savepoint inside it (the `db` fixture) and
    rolls back its own changes. Use it from a module-scoped fixture; the tests then ask for `db` and point
    MEDIA_ROOT at `media` (where the shared records' files are)."""
    with django_db_blocker.unblock(), override_settings(
            MEDIA_ROOT=media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        atomics = [transaction.atomic(using=alias) for alias in connections]
        for atomic in atomics:
            atomic.__enter__()
        try:
            yield
        finally:
            for alias, atomic in zip(reversed(list(connections)), reversed(atomics), strict=True):
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")),
    reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (CI's second pass does)",
)


@contextmanager
def authenticator_waits_skipped() -> Iterator[None]:
    """The demo authenticator's waits for the next TOTP step, skipped: the clock jumps ahead by each wait instead
    of the test sleeping through it (the demo chain test's seven binding acts slept about 90 s).

    A test double for the passing of time only. The whole process reads the moved clock (time-machine moves
    time.time and datetime.now), so django-otp's step check, the gate and the audit see the time the wait would
    have reached, and the step arithmetic is the real one. test_demo_seed keeps one test on the real clock."""
    import time

    import time_machine

    from likeness.demo import authenticator

    with time_machine.travel(time.time(), tick=True) as traveller:
        clock = SimpleNamespace(time=lambda: time.time(), sleep=traveller.shift)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(authenticator, "time", clock)
            yield
