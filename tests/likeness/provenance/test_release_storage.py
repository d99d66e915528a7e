"""Releasing an output stores its signed file outside the transaction that records the release: while the copy
runs, other audited writes go through; a release refused after the copy leaves no file behind."""
from __future__ import annotations

import errno
import threading
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.db import connection

from likeness.audit.models import AuditEvent
from likeness.consent.services import grant_revoke
from likeness.provenance.models import Output, OutputStatus
from likeness.provenance.services import output_approve, output_register, output_sign_and_release, pki_initialise
from tests.likeness.concurrency import Pauses, probe_other_writer
from tests.likeness.provenance.conftest import MIMES, allowed_decision, write_media


@pytest.fixture
def approved(live_world, settings, tmp_path) -> Any:
    """A registered, approved PNG output of the live world, signed by a fresh CA (no timestamp authority)."""
    w = live_world
    settings.TSA_URL = ""
    pki_initialise()
    decision = allowed_decision(w, purpose="submit")
    assert decision.allowed, decision.explanation
    output = output_register(job_ref="job-1", decision=decision, performer=w.performer, production=w.production,
                             local_file=write_media(tmp_path / "render.png", 1), mime=MIMES["png"], by=None,
                             source_plate=write_media(tmp_path / "plate.png", 101), source_plate_mime=MIMES["png"],
                             engine_version="0.3.0", parameters={"target_age": 30})
    return output_approve(output=output, by=w.rep, note="approved for the flashback reel")


def _signed_files() -> list[str]:
    folder = Path(settings.MEDIA_ROOT) / "outputs" / "signed"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _release_in_thread(output: Output, world: Any, outcome: dict[str, Any]) -> threading.Thread:
    def release() -> None:
        try:
            outcome["output"] = output_sign_and_release(output=output, by=world.supervisor,
                                                        regate=lambda: allowed_decision(world))
        except BaseException as exc:  # reported by the test
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    return thread


def test_other_writers_are_not_held_up_while_a_signed_output_is_stored(live_world, approved, monkeypatch):
    w = live_world
    pauses = Pauses()
    pauses.pause_storage_copies(monkeypatch, "outputs/signed/")
    outcome: dict[str, Any] = {}
    with pauses.held("store", _release_in_thread(approved, w, outcome)):
        during_store = probe_other_writer("00000000-0000-0000-0000-000000000000", w.grant.pk)
    assert "error" not in outcome, outcome
    assert during_store == "", f"a writer was held up while the signed file was stored: {during_store}"
    assert pauses.in_transaction == {"store": False}
    released = Output.objects.get(pk=approved.pk)
    assert released.status == OutputStatus.RELEASED
    assert default_storage.exists(released.file.name) and released.file.name.startswith("outputs/signed/")
    call_command("audit_verify")


def test_a_release_refused_after_its_signed_file_was_stored_leaves_no_file(live_world, approved, monkeypatch):
    """Consent is revoked while the signed file is being copied: the release is refused when it is recorded,
    and the copy is deleted, so no signed file exists without a released record."""
    w = live_world
    pauses = Pauses()
    pauses.pause_storage_copies(monkeypatch, "outputs/signed/")
    outcome: dict[str, Any] = {}
    with pauses.held("store", _release_in_thread(approved, w, outcome)):
        grant_revoke(grant=w.grant, by=w.rep, reason="the performer withdrew consent during the release")
    assert isinstance(outcome.get("error"), ValidationError), outcome
    assert "not released" in str(outcome["error"])
    assert _signed_files() == []
    record = Output.objects.get(pk=approved.pk)
    assert record.status == OutputStatus.WITHDRAWN and not record.manifest_label
    assert record.file.name == record.rendered_name and default_storage.exists(record.file.name)
    call_command("audit_verify")


def test_a_signed_file_that_cannot_be_stored_is_a_clear_refusal_and_nothing_is_released(live_world, approved,
                                                                                      monkeypatch):
    def full_disk(storage: FileSystemStorage, name: str, content: Any) -> str:
        if name.startswith("outputs/signed/"):
            Path(storage.path(name)).parent.mkdir(parents=True, exist_ok=True)
            Path(storage.path(name)).write_bytes(b"partial")  # what a copy cut short leaves
            raise OSError(errno.ENOSPC, "No space left on device")
        raise AssertionError(f"unexpected store of {name}")

    monkeypatch.setattr(FileSystemStorage, "_save", full_disk)
    with pytest.raises(ValidationError, match="storage is full"):
        output_sign_and_release(output=approved, by=live_world.supervisor,
                                regate=lambda: allowed_decision(live_world))
    assert _signed_files() == []
    record = Output.objects.get(pk=approved.pk)
    assert record.status == OutputStatus.APPROVED and not record.manifest_label
    refused = AuditEvent.objects.filter(action="output.release_refused", object_id=str(approved.pk)).get()
    assert "storage is full" in refused.data["reason"]
