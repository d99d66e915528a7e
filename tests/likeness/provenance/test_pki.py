"""The platform CA on disk: profile, file modes, refusal to overwrite, rotation, anchors export."""
from __future__ import annotations

import stat

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import CommandError, call_command

from likeness.provenance import pki
from likeness.provenance.models import SigningCertificate
from likeness.provenance.signing import sign_output
from likeness.provenance.verification import verify_path
from tests.likeness.provenance.conftest import make_claim


def _mode(path) -> int:  # noqa: ANN001
    return stat.S_IMODE(path.stat().st_mode)


def test_pki_init_writes_private_keys_0600_and_refuses_to_overwrite(db, settings, tmp_path, capsys):  # noqa: ANN001
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


def test_signing_certificate_has_the_profile_c2pa_accepts(pki_base):  # noqa: ANN001
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


def test_rotation_keeps_earlier_files_trusted(db, settings, tmp_path, media, capsys):  # noqa: ANN001
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
