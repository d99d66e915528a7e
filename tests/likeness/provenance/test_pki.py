"""The platform CA on disk: profile, file modes, refusal to overwrite, rotation, anchors export."""
from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import CommandError, call_command

from likeness.provenance.models import SigningCertificate
from likeness.provenance.signing import sign_output
from likeness.provenance.verification import verify_path
from likeness.signing import pki
from tests.likeness.provenance.conftest import make_claim


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_pki_init_writes_private_keys_0600_and_refuses_to_overwrite(db, settings, tmp_path, capsys):
    settings.PKI_DIR = tmp_path / "pki"
    call_command("pki_init")
    d = settings.PKI_DIR
    assert _mode(d) == 0o700
    keys = [d / "root.key.pem", d / "intermediate.key.pem", *(d / "signing").glob("*.key.pem")]
    assert len(keys) == 3
    for key in keys:
        assert _mode(key) == 0o600, key
        assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8
    before = (d / "root.cert.pem").read_bytes()
    with pytest.raises(CommandError, match="refusing to overwrite"):
        call_command("pki_init")
    assert (d / "root.cert.pem").read_bytes() == before
    assert SigningCertificate.objects.filter(active=True).count() == 1


def test_signing_certificate_has_the_profile_c2pa_accepts(pki_base):
    ident = pki.signing_identity(base=pki_base)
    cert = ident.certificate()
    ext = cert.extensions
    assert ext.get_extension_for_class(x509.BasicConstraints).value.ca is False
    ku = ext.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature
    ekus = set(ext.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in ekus and pki.C2PA_SIGNING_EKU in ekus
    ext.get_extension_for_class(x509.AuthorityKeyIdentifier)
    chain = x509.load_pem_x509_certificates(ident.chain_pem())
    assert chain[0] == cert  # end-entity first
    assert chain[1].subject == cert.issuer
    # Every signature is timestamped, so files outlive the certificate: one year, rotated.
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == pki.SIGNING_DAYS == 365


def test_rotation_keeps_earlier_files_trusted(db, settings, tmp_path, media, capsys):
    settings.PKI_DIR = tmp_path / "pki"
    settings.TSA_URL = ""
    call_command("pki_init")
    first = SigningCertificate.objects.get(active=True)
    plate = media("png", 50, "plate")
    old_file = tmp_path / "old.png"
    sign_output(src=media("png", 1), dst=old_file, mime="image/png", claim=make_claim(plate))
    call_command("pki_rotate")
    second = SigningCertificate.objects.get(active=True)
    assert second.serial != first.serial
    first.refresh_from_db()
    assert not first.active and first.retired_at
    new_file = tmp_path / "new.png"
    sign_output(src=media("png", 2), dst=new_file, mime="image/png", claim=make_claim(plate))
    anchors_file = tmp_path / "anchors.pem"
    call_command("pki_export_anchors", str(anchors_file))
    anchors = anchors_file.read_text()
    old, new = verify_path(old_file, anchors_pem=anchors), verify_path(new_file, anchors_pem=anchors)
    assert (old.state, new.state) == ("Trusted", "Trusted")
    assert old.signer["cert_serial_number"] == first.serial_decimal
    assert new.signer["cert_serial_number"] == second.serial_decimal
    assert "root SHA-256 fingerprint" in capsys.readouterr().out


# --- the CA folder and the database's certificate records agree, or pki_init says why not ---------------------

def _settings_pki_dir(**env: str) -> str:
    """PKI_DIR as a fresh process computes it from this environment (the settings module reads it once)."""
    base = {k: v for k, v in os.environ.items() if k not in ("LIKENESS_PKI_DIR", "LIKENESS_VAR_DIR")}
    done = subprocess.run([sys.executable, "-c", "import likeness.settings as s; print(s.PKI_DIR)"],
                          env={**base, **env}, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def test_pki_dir_defaults_to_the_instances_var_folder() -> None:
    assert _settings_pki_dir(LIKENESS_VAR_DIR="/srv/instance-a/var") == "/srv/instance-a/var/pki"
    assert _settings_pki_dir(LIKENESS_VAR_DIR="/srv/instance-a/var", LIKENESS_PKI_DIR="/srv/keys/pki") == \
        "/srv/keys/pki"


def test_if_missing_twice_creates_one_ca_and_one_record(db, settings, tmp_path, capsys):
    settings.PKI_DIR = tmp_path / "pki"
    call_command("pki_init", "--if-missing")
    first = (settings.PKI_DIR / "root.cert.pem").read_bytes()
    call_command("pki_init", "--if-missing")
    assert (settings.PKI_DIR / "root.cert.pem").read_bytes() == first
    assert SigningCertificate.objects.count() == 1 and SigningCertificate.objects.get().active
    assert "CA already present" in capsys.readouterr().out


def test_a_fresh_database_beside_an_existing_ca_records_its_active_certificate(db, settings, tmp_path,
                                                                                capsys):
    settings.PKI_DIR = tmp_path / "pki"
    ident = pki.pki_create(base=settings.PKI_DIR)  # a CA on disk that this (empty) database has never seen
    call_command("pki_init", "--if-missing")
    cert = SigningCertificate.objects.get()
    assert cert.serial == ident.serial and cert.active  # current, not "retired"
    assert "recorded the CA's active signing certificate" in capsys.readouterr().out


def test_records_without_their_ca_are_refused_in_one_line_unless_a_new_ca_is_asked_for(
        db, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(pki, "LEGACY_PKI_DIR", tmp_path / "no-legacy-ca")
    settings.PKI_DIR = tmp_path / "pki"
    call_command("pki_init")
    old = SigningCertificate.objects.get(active=True)
    settings.PKI_DIR = tmp_path / "lost-pki"  # the folder was lost, or the instance points at an empty one
    with pytest.raises(CommandError) as err:
        call_command("pki_init", "--if-missing")
    message = str(err.value)
    assert "holds no CA" in message and old.serial[:16] in message and "--new-ca" in message
    assert "\n" not in message
    assert not pki.ca_exists(settings.PKI_DIR)  # nothing was created on the way
    call_command("pki_init", "--if-missing", "--new-ca")
    new = SigningCertificate.objects.get(active=True)
    assert new.serial != old.serial and pki.ca_exists(settings.PKI_DIR)


def test_the_ca_at_the_old_default_location_is_copied_when_it_issued_the_records(
        db, settings, tmp_path, monkeypatch, capsys):
    legacy = tmp_path / "home" / ".local" / "share" / "likeness" / "pki"
    monkeypatch.setattr(pki, "LEGACY_PKI_DIR", legacy)
    settings.PKI_DIR = legacy
    call_command("pki_init")  # an instance made before the CA moved in with its data
    recorded = SigningCertificate.objects.get(active=True)
    settings.PKI_DIR = tmp_path / "var" / "pki"
    call_command("pki_init", "--if-missing")
    out = capsys.readouterr().out
    assert "copied the CA" in out and str(legacy) in out
    assert pki.signing_identity(base=settings.PKI_DIR).serial == recorded.serial
    assert _mode(settings.PKI_DIR) == 0o700
    assert all(_mode(k) == 0o600 for k in settings.PKI_DIR.rglob("*.key.pem"))
    assert (legacy / "root.key.pem").exists()  # a copy: another checkout may still use it
    assert SigningCertificate.objects.count() == 1


def test_a_ca_that_issued_none_of_the_records_is_refused(db, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(pki, "LEGACY_PKI_DIR", tmp_path / "no-legacy-ca")
    settings.PKI_DIR = tmp_path / "pki-a"
    call_command("pki_init")
    settings.PKI_DIR = tmp_path / "pki-b"
    pki.pki_create(base=settings.PKI_DIR)  # another instance's CA
    with pytest.raises(CommandError, match="issued none of the 1 signing certificate"):
        call_command("pki_init", "--if-missing")
    assert SigningCertificate.objects.count() == 1
