"""On PostgreSQL, concurrent writers append to the audit chain one after another (the head row is locked),
and two second-party approvals racing on the same consent leave exactly one active version."""
from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from likeness.audit.selectors import audit_chain_verify
from likeness.audit.services import audit_record
from tests.conftest import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _run_threads(target, count: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def worker(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_appends_keep_the_chain_intact():
    def append(index: int) -> None:
        for n in range(10):
            with transaction.atomic():
                audit_record(actor=None, action="test.concurrent", object_type="test", object_id=f"{index}-{n}")

    assert _run_threads(append, 6) == []
    report = audit_chain_verify()
    assert report.ok, report.problem
    assert report.events_checked == 60


def test_racing_approvals_activate_one_version(world):
    from django.core.exceptions import ValidationError

    from likeness.consent import services
    from likeness.consent.models import ConsentGrant
    from tests.conftest import grant_scope
    from tests.factories import pdf_file

    v1 = services.grant_draft_create(performer=world.performer, productions=[world.production], by=world.rep,
                                     **grant_scope())
    v1 = services.grant_approve(grant=services.grant_submit(grant=v1, document=pdf_file(), by=world.rep),
                                by=world.counsel)
    amendment = services.grant_submit(grant=services.grant_amend(grant=v1, by=world.rep, depicted_age_max=50),
                                      document=pdf_file(), by=world.rep)

    outcomes: list[str] = []

    def approve(index: int) -> None:
        try:
            services.grant_approve(grant=amendment, by=world.counsel)
            outcomes.append("approved")
        except ValidationError:
            outcomes.append("refused")

    assert _run_threads(approve, 4) == []
    assert sorted(outcomes) == ["approved", "refused", "refused", "refused"]
    assert ConsentGrant.objects.filter(family=v1.family, status="active").count() == 1
    assert audit_chain_verify().ok
