"""Evidence bundles verify offline with the platform's published checker (never one from inside a bundle); any
single changed file is named; the anchors are trusted only once their root is confirmed; each audit event is
proven to be in the signed, timestamped checkpoint."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from asn1crypto import core
from django.conf import settings
from django.core.management import CommandError, call_command

from likeness.provenance import bundle_check
from likeness.provenance.bundle import bundle_build
from likeness.signing.tsa import POLICY


def _rewrite(src: bytes, name: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info.filename, change(data) if info.filename == name else data)
    return out.getvalue()


def _flip_middle(data: bytes) -> bytes:
    buf = bytearray(data)
    buf[len(buf) // 2] ^= 0x01
    return bytes(buf)


def _flip_seal_stamp(data: bytes) -> bytes:
    """The seal's middle is the padding C2PA reserves in the signature box (by design covered by nothing, and
    meaning nothing); a change that matters there is one to the timestamp token, which readers otherwise drop
    silently: flip a byte inside its TSTInfo (found by the authority's policy OID)."""
    buf = bytearray(data)
    at = data.index(core.ObjectIdentifier(POLICY).dump())
    buf[at + 5] ^= 0x01
    return bytes(buf)


@pytest.fixture
def bundle(released, tmp_path) -> Path:
    r = released("png")
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle_build(output=r.output))
    return path


def _root(bundle: Path) -> str:
    with zipfile.ZipFile(bundle) as zf:
        return bundle_check.root_fingerprint(zf.read("trust_anchors.pem"))


def _published_checker(*args: str) -> subprocess.CompletedProcess:
    """The published checker as an auditor runs it: its own interpreter, no Django settings, no database."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(settings.BASE_DIR)}
    return subprocess.run([sys.executable, "-m", "likeness.provenance.bundle_check", *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd="/")


def test_a_bundle_verifies_offline_with_the_published_checker(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        assert {"output.png", "manifest.json", "validation.json", "record.json", "audit_events.json",
                "trust_anchors.pem", "signing_chain.pem", "crl.pem", "README.txt", "SHA256SUMS",
                "seal.png"} <= names
        assert "verify_bundle.py" not in names  # no checker inside what it checks
        assert sum(n.startswith("checkpoint/") for n in names) == 4
        record = zf.read("record.json").decode()
        assert "compensation" not in record and "Avery" not in record
        assert _root(bundle) in zf.read("README.txt").decode()
    done = _published_checker(str(bundle), "--root-sha256", _root(bundle))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "INTACT" in done.stdout and "audit events recompute" in done.stdout
    assert "are in the audit log of checkpoint" in done.stdout and "not revoked" in done.stdout


def test_without_a_confirmed_root_the_answer_is_unconfirmed(bundle):
    """The checker never silently trusts the anchors the bundle brings: it prints the root to confirm."""
    done = _published_checker(str(bundle))
    assert done.returncode == bundle_check.UNCONFIRMED, done.stdout + done.stderr
    assert "UNCONFIRMED" in done.stdout and f"--root-sha256 {_root(bundle)}" in done.stdout
    assert "INTACT" not in done.stdout.replace("NOT INTACT", "")
    wrong = _published_checker(str(bundle), "--root-sha256", "0" * 64)
    assert wrong.returncode == 1 and "not the platform's anchors" in wrong.stdout


def test_an_edited_checker_inside_a_bundle_changes_nothing(bundle, tmp_path):
    """A bundle that brings its own 'checker' (one that always prints INTACT) is judged by the published one,
    which never runs it and names it as a file slipped in."""
    forged = tmp_path / "forged.zip"
    forged.write_bytes(bundle.read_bytes())
    with zipfile.ZipFile(forged, "a") as zf:
        zf.writestr("verify_bundle.py", "print('INTACT')\n")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(_rewrite(forged.read_bytes(), "record.json", _flip_middle))
    done = _published_checker(str(broken), "--root-sha256", _root(bundle))
    assert done.returncode == 1 and "verify_bundle.py: not in the sealed list" in done.stdout
    assert "record.json: changed" in done.stdout


def test_every_event_is_proven_in_the_checkpoint(bundle, tmp_path):
    def drop_proof(data: bytes) -> bytes:
        events = json.loads(data)
        events[0]["inclusion"]["proof"][0] = "00" * 32
        return json.dumps(events).encode()

    with zipfile.ZipFile(bundle) as zf:
        events = json.loads(zf.read("audit_events.json"))
    assert events and all(e["inclusion"] for e in events)
    assert {"output.registered", "output.approved", "output.released", "decision.made"} <= {e["action"] for e in events}
    # A proof changed (and the seal bypassed: the checks below the seal run on their own).
    problems: list[str] = []
    record = json.loads(zipfile.ZipFile(bundle).read("record.json"))
    manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    anchors = zipfile.ZipFile(bundle).read("trust_anchors.pem").decode()
    bad = json.loads(drop_proof(zipfile.ZipFile(bundle).read("audit_events.json")))
    bundle_check._check_format_2(bundle_check.Bundle(bundle), record, manifest, bad, anchors, problems, [])
    assert any("is not in the checkpointed audit log" in p for p in problems), problems
    # An event left out: the lifecycle is incomplete.
    problems = []
    missing = [e for e in events if e["action"] != "output.approved"]
    bundle_check._check_format_2(bundle_check.Bundle(bundle), record, manifest, missing, anchors, problems, [])
    assert any("lifecycle is incomplete: no output.approved" in p for p in problems), problems


def test_any_single_changed_file_fails_naming_it(bundle, tmp_path):
    original = bundle.read_bytes()
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
    for name in names:
        tampered = tmp_path / f"tampered-{name.replace('/', '_')}.zip"
        tampered.write_bytes(_rewrite(original, name, _flip_middle if name != "seal.png" else _flip_seal_stamp))
        problems, _ = bundle_check.check(tampered)
        assert problems, f"changing {name} went unnoticed"
        assert any(p.startswith(name) for p in problems), (name, problems)
    # One through the published checker in a subprocess, as an auditor would run it.
    done = _published_checker(str(tmp_path / "tampered-record.json.zip"), "--root-sha256", _root(bundle))
    assert done.returncode == 1 and "FAIL: record.json: changed" in done.stdout
    # A file added, and a file removed.
    added = tmp_path / "added.zip"
    added.write_bytes(original)
    with zipfile.ZipFile(added, "a") as zf:
        zf.writestr("extra.txt", "slipped in")
    assert any(p.startswith("extra.txt") for p in bundle_check.check(added)[0])


def test_manage_py_verify_bundle(bundle, tmp_path, capsys):
    call_command("verify_bundle", str(bundle), "--own-anchors")
    assert "INTACT" in capsys.readouterr().out
    with pytest.raises(CommandError, match="UNCONFIRMED"):
        call_command("verify_bundle", str(bundle))
    broken = tmp_path / "broken.zip"
    broken.write_bytes(_rewrite(bundle.read_bytes(), "audit_events.json", _flip_middle))
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("verify_bundle", str(broken), "--own-anchors")
    assert "audit_events.json" in capsys.readouterr().out


def test_a_bundle_checked_against_other_anchors_is_not_trusted(bundle, tmp_path):
    from likeness.signing import pki

    other = tmp_path / "other"
    pki.pki_create(base=other, org="Impostor CA")
    problems, _ = bundle_check.check(bundle, other / "anchors.pem")
    assert any(p.startswith("seal.png: not Trusted") for p in problems)
