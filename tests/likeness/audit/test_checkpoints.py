"""Checkpoints outside the database catch the rewrites the chain alone cannot: a chain recomputed whole, a tail
truncated with its head row rewritten, an event moved to another account, an emptied table. The attacker here
has the database (triggers switched off, raw SQL) but not the checkpoint folder or the platform's keys.
Checkpoints are also checked with OpenSSL alone, as an outside auditor would."""
from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from likeness.audit import merkle
from likeness.audit.chain import event_hash
from likeness.audit.checkpoints import checkpoint_write, checkpoints
from likeness.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from likeness.audit.selectors import audit_chain_verify
from likeness.audit.services import audit_record
from likeness.signing import pki
from tests.likeness.audit.test_audit_chain import TABLE, _triggers_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchored(world, settings, tmp_path):
    """A world whose chain has a checkpoint, then a few events after it that a second checkpoint covers."""
    settings.PKI_DIR = tmp_path / "pki"
    settings.TSA_URL = ""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    pki.pki_create(base=settings.PKI_DIR)
    first = checkpoint_write()
    with transaction.atomic():
        for n in range(4):
            audit_record(actor=world.ops, action="test.event", object_type="test", object_id=str(n), data={"n": n})
    second = checkpoint_write()
    assert first is not None and second is not None and second.tree_size == first.tree_size + 4
    assert audit_chain_verify().ok
    return world


def _broken(words: str) -> str:
    with pytest.raises(CommandError) as info:
        call_command("audit_verify")
    assert words in str(info.value), str(info.value)
    return str(info.value)


def _rehash_from(seq: int) -> None:
    """What an attacker with the database does after editing an event: recompute every hash after it, and the
    chain head, so the chain is consistent again."""
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else GENESIS_HASH
    with connection.cursor() as cur:
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            digest = event_hash(seq=event.seq, at=event.at, actor_label=event.actor_label, action=event.action,
                                object_type=event.object_type, object_id=event.object_id, data=event.data,
                                prev_hash=prev)
            cur.execute(f"UPDATE {TABLE} SET prev_hash = %s, hash = %s WHERE id = %s", [prev, digest, event.id])
            prev = digest
        last = AuditEvent.objects.order_by("-seq").first()
        AuditChainHead.objects.filter(id=1).update(seq=last.seq if last else 0, hash=prev)


def test_a_checkpointed_chain_verifies_and_says_against_what(anchored) -> None:
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    latest = checkpoints()[-1]
    assert "audit chain intact" in out.getvalue() and f"matches checkpoint {latest.path.name}" in out.getvalue()
    assert "Timestamp Authority" in out.getvalue()
    assert checkpoint_write() is None  # nothing new: no checkpoint


def test_a_chain_recomputed_whole_is_caught(anchored) -> None:
    _triggers_off()
    target = AuditEvent.objects.order_by("seq")[2]
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET data = %s WHERE id = %s", ['{"forged": true}', target.id])
    _rehash_from(target.seq)
    assert audit_chain_verify(checkpoint_base=Path("/nonexistent")).ok  # the chain alone is fooled
    _broken("the chain was rewritten")


def test_a_truncated_tail_with_its_head_rewritten_is_caught(anchored) -> None:
    _triggers_off()
    keep = AuditEvent.objects.order_by("-seq")[2]
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE seq > %s", [keep.seq])
    AuditChainHead.objects.filter(id=1).update(seq=keep.seq, hash=keep.hash)
    assert audit_chain_verify(checkpoint_base=Path("/nonexistent")).ok
    _broken("events were deleted")


def test_an_event_moved_to_another_account_is_caught(anchored) -> None:
    _triggers_off()
    other = get_user_model().objects.exclude(pk=anchored.ops.pk).first()
    target = AuditEvent.objects.filter(actor=anchored.ops).order_by("seq").first()
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET actor_id = %s WHERE id = %s", [other.pk, target.id])
    assert audit_chain_verify(checkpoint_base=Path("/nonexistent")).ok  # the event hash covers the name only
    _broken("an event's actor changed")


def test_an_emptied_table_with_its_head_reset_is_caught(anchored) -> None:
    _triggers_off()
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE}")
    AuditChainHead.objects.filter(id=1).update(seq=0, hash=GENESIS_HASH)
    assert audit_chain_verify(checkpoint_base=Path("/nonexistent")).ok
    _broken("the table holds 0")


def test_an_edited_or_removed_checkpoint_is_caught(anchored, settings) -> None:
    first, second = checkpoints()
    raw = second.path.read_bytes()
    second.path.chmod(0o644)
    second.path.write_bytes(raw.replace(b'"tree_size":', b'"tree_size": ', 1))
    _broken("the checkpoint was changed")
    second.path.write_bytes(raw)
    assert audit_chain_verify().ok
    for suffix in (".json", ".sig", ".pem", ".tsr"):
        first.sibling(suffix).unlink()
    _broken("a checkpoint was removed or replaced")


def test_checkpoints_export_for_an_auditor(anchored, tmp_path) -> None:
    out = io.StringIO()
    call_command("audit_checkpoint", "--export", str(tmp_path / "export"), stdout=out)
    assert "2 checkpoints exported" in out.getvalue()
    assert len(list((tmp_path / "export").iterdir())) == 8


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_alone_checks_a_checkpoint(anchored, settings, tmp_path) -> None:
    latest = checkpoints()[-1]
    base = Path(settings.PKI_DIR)
    chain = latest.sibling(".pem")
    leaf = tmp_path / "signer.pem"
    leaf.write_text(chain.read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")
    key = tmp_path / "signer.pub"
    subprocess.run(["openssl", "x509", "-in", str(leaf), "-pubkey", "-noout", "-out", str(key)], check=True)
    run = lambda *a: subprocess.run(list(a), capture_output=True, text=True)  # noqa: E731
    signed = run("openssl", "dgst", "-sha256", "-verify", str(key), "-signature", str(latest.sibling(".sig")),
                 str(latest.path))
    assert signed.returncode == 0 and "Verified OK" in signed.stdout
    issued = run("openssl", "verify", "-CAfile", str(base / "root.cert.pem"), "-untrusted",
                 str(base / "intermediate.cert.pem"), str(leaf))
    assert issued.returncode == 0, issued.stdout + issued.stderr
    dated = run("openssl", "ts", "-verify", "-data", str(latest.path), "-in", str(latest.sibling(".tsr")),
                "-CAfile", str(base / "root.cert.pem"), "-untrusted", str(base / "intermediate.cert.pem"))
    assert dated.returncode == 0 and "Verification: OK" in dated.stdout


def test_the_tree_root_is_recomputed_from_the_definition(anchored) -> None:
    """The checkpoint's root from the leaf and node definitions in merkle.py's docstring, written out here with
    hashlib alone (the recursive split of RFC 9162), not with merkle.py."""
    def leaf(e: AuditEvent) -> bytes:
        return hashlib.sha256(b"\x00" + f"{e.hash}:{e.actor_id if e.actor_id is not None else ''}".encode()).digest()

    def mth(items: list[bytes]) -> bytes:
        if len(items) == 1:
            return items[0]
        k = 1
        while k * 2 < len(items):
            k *= 2
        return hashlib.sha256(b"\x01" + mth(items[:k]) + mth(items[k:])).digest()

    latest = checkpoints()[-1]
    events = list(AuditEvent.objects.order_by("seq")[:latest.tree_size])
    assert mth([leaf(e) for e in events]).hex() == latest.body["root_hash"]
    leaves = [leaf(e) for e in events]
    for index in (0, len(leaves) // 2, len(leaves) - 1):
        proof = merkle.inclusion_proof(leaves, index)
        assert merkle.root_from_proof(leaves[index], index, len(leaves), proof) == latest.root


def test_two_writers_at_once_share_one_checkpoint(anchored, settings, tmp_path) -> None:
    """The sweeps worker and a bundle export may checkpoint the same state at the same moment: the one that finds
    the other's files half written waits for them and uses that checkpoint instead of failing."""
    import threading

    with transaction.atomic():
        audit_record(actor=anchored.ops, action="test.event", object_type="test", object_id="x", data={})
    real = Path(settings.AUDIT_CHECKPOINT_DIR)
    other = tmp_path / "other-writer"
    shutil.copytree(real, other)
    theirs = checkpoint_write(other)  # what the other writer is writing, from the same state
    names = {suffix: theirs.sibling(suffix).name for suffix in (".sig", ".pem", ".tsr", ".json")}
    shutil.copy(other / names[".sig"], real / names[".sig"])  # ... it has begun

    def finish() -> None:
        for suffix in (".pem", ".tsr", ".json"):
            shutil.copy(other / names[suffix], real / names[suffix])

    threading.Timer(0.3, finish).start()
    mine = checkpoint_write()
    assert mine is not None and mine.path == real / names[".json"] and mine.raw == theirs.raw
    assert audit_chain_verify().ok
