"""The audit chain: tampering with the table directly (edit, delete, insert, reorder) is caught by
`audit_verify`, which names the first bad event; the database itself refuses UPDATE and DELETE."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, InternalError, OperationalError, ProgrammingError, connection, transaction

from likeness.audit.models import AuditEvent
from likeness.audit.selectors import audit_chain_verify
from likeness.audit.services import audit_record

pytestmark = pytest.mark.django_db
TABLE = "audit_auditevent"


def _triggers_off() -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # Django's deferred foreign-key checks must fire before the table can be altered.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cur.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


@pytest.fixture
def chain(world):
    """A world plus a few more events. Tests that play the attacker switch the triggers off inside the test's
    transaction, so the rollback at the end restores them."""
    with transaction.atomic():
        for n in range(3):
            audit_record(actor=world.ops, action="test.event", object_type="test", object_id=str(n), data={"n": n})
    assert audit_chain_verify().ok
    return list(AuditEvent.objects.order_by("seq"))


def _verify_fails_at(seq: int) -> str:
    with pytest.raises(CommandError) as info:
        call_command("audit_verify")
    message = str(info.value)
    assert f"#{seq}" in message, message
    return message


def test_intact_chain_passes(chain):
    call_command("audit_verify")


def test_database_refuses_update_and_delete(chain):
    errors = (IntegrityError, InternalError, OperationalError, ProgrammingError)
    with pytest.raises(errors, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET action = 'forged' WHERE seq = 2")
    with pytest.raises(errors, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE seq = 2")
    with pytest.raises(PermissionError):
        chain[1].delete()
    assert audit_chain_verify().ok


def test_edited_event_is_named(chain):
    _triggers_off()
    target = chain[4]
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET data = %s WHERE id = %s", ['{"forged": true}', target.id])
    assert "was edited" in _verify_fails_at(target.seq)


def test_deleted_event_is_named(chain):
    _triggers_off()
    target = chain[3]
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE id = %s", [target.id])
    _verify_fails_at(target.seq + 1)


def test_deleted_tail_is_caught(chain):
    _triggers_off()
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE id = %s", [chain[-1].id])
    with pytest.raises(CommandError, match="deleted or appended"):
        call_command("audit_verify")


def test_inserted_event_is_named(chain):
    _triggers_off()
    last = chain[-1]
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {TABLE} (seq, at, actor_label, action, object_type, object_id, data, prev_hash, hash) "
            "VALUES (%s, %s, 'intruder', 'grant.activated', 'consent.consentgrant', '1', %s, %s, %s)",
            [last.seq + 1, last.at, "{}", last.hash, "f" * 64])
    message = _verify_fails_at(last.seq + 1)
    assert "edited" in message or "appended" in message


def test_reordered_events_are_named(chain):
    _triggers_off()
    a, b = chain[2], chain[3]
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [10_000_000, a.id])
        cur.execute(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [a.seq, b.id])
        cur.execute(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [b.seq, a.id])
    _verify_fails_at(b.seq)


@pytest.mark.django_db(transaction=True)
def test_audit_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=None, action="x", object_type="t", object_id="1")


def test_change_and_event_roll_back_together(world):
    from likeness.people.services import performer_update

    before = AuditEvent.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - any validation failure
        performer_update(performer=world.performer, by=world.rep, domicile="XX-NOPE")
    assert AuditEvent.objects.count() == before
