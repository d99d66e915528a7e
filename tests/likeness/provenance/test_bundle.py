"""Evidence bundles verify offline with the script inside them; any single changed file is named."""
from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from asn1crypto import core
from django.core.management import CommandError, call_command

from likeness.provenance import bundle_check
from likeness.provenance.bundle import bundle_build
from likeness.provenance.tsa import POLICY


def _rewrite(src: bytes, name: str, change) -> bytes:  # noqa: ANN001
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
def bundle(released, tmp_path) -> Path:  # noqa: ANN001
    r = released("png")
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle_build(output=r.output))
    return path


def test_bundle_verifies_offline_with_its_own_script(bundle, tmp_path):  # noqa: ANN001
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        assert {"output.png", "manifest.json", "validation.json", "record.json", "audit_events.json",
                "trust_anchors.pem", "verify_bundle.py", "SHA256SUMS", "seal.png"} <= names
        record = zf.read("record.json").decode()
        assert "compensation" not in record and "Avery" not in record
        unpacked = tmp_path / "unpacked"
        zf.extractall(unpacked)
    # The script runs outside the platform: its own interpreter, no Django settings, only c2pa-python.
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-I", str(unpacked / "verify_bundle.py"), str(bundle)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "INTACT" in done.stdout and "audit events recompute" in done.stdout
    # Run from inside the unpacked bundle, with no argument, it checks its own directory.
    done = subprocess.run([sys.executable, "-I", "verify_bundle.py"], cwd=unpacked, capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_any_single_changed_file_fails_naming_it(bundle, tmp_path):  # noqa: ANN001
    original = bundle.read_bytes()
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
    for name in names:
        tampered = tmp_path / f"tampered-{name}.zip"
        tampered.write_bytes(_rewrite(original, name, _flip_middle if name != "seal.png" else _flip_seal_stamp))
        problems, _ = bundle_check.check(tampered)
        assert problems, f"changing {name} went unnoticed"
        assert any(p.startswith(name) for p in problems), (name, problems)
    # One through the embedded script in a subprocess, as an auditor would run it.
    with zipfile.ZipFile(bundle) as zf:
        (tmp_path / "verify_bundle.py").write_bytes(zf.read("verify_bundle.py"))
    done = subprocess.run([sys.executable, "-I", str(tmp_path / "verify_bundle.py"),
                           str(tmp_path / "tampered-record.json.zip")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "FAIL: record.json: changed" in done.stdout
    # A file added, and a file removed.
    added = tmp_path / "added.zip"
    added.write_bytes(original)
    with zipfile.ZipFile(added, "a") as zf:
        zf.writestr("extra.txt", "slipped in")
    assert any(p.startswith("extra.txt") for p in bundle_check.check(added)[0])


def test_manage_py_verify_bundle(bundle, tmp_path, capsys):  # noqa: ANN001
    call_command("verify_bundle", str(bundle))
    assert "INTACT" in capsys.readouterr().out
    broken = tmp_path / "broken.zip"
    broken.write_bytes(_rewrite(bundle.read_bytes(), "audit_events.json", _flip_middle))
    with pytest.raises(CommandError):
        call_command("verify_bundle", str(broken))
    assert "audit_events.json" in capsys.readouterr().out


def test_a_bundle_checked_against_other_anchors_is_not_trusted(bundle, tmp_path):  # noqa: ANN001
    from likeness.provenance import pki

    other = tmp_path / "other"
    pki.pki_create(base=other, org="Impostor CA")
    problems, _ = bundle_check.check(bundle, other / "anchors.pem")
    assert any(p.startswith("seal.png: not Trusted") for p in problems)
