"""Revoking signing certificates: rotation and a compromised key put them on the CA's CRL, and verification
reads a file signed with a revoked certificate after its revocation date as "revoked", with the dates. The CRL
is checked by OpenSSL too (an implementation that shares nothing with ours)."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from likeness.provenance.codes import REVOKED_AFTER_SIGNING
from likeness.provenance.models import SigningCertificate
from likeness.provenance.selectors import verify_upload
from likeness.provenance.services import pki_rotate, signing_certificate_revoke
from likeness.provenance.signing import sign_output
from likeness.signing import pki
from tests.likeness.provenance.conftest import make_claim

pytestmark = pytest.mark.django_db


def _sign(media, tmp_path: Path, name: str, identity: pki.SigningIdentity | None = None) -> Path:
    dst = tmp_path / f"{name}.png"
    sign_output(src=media("png", hash(name) % 100), dst=dst, mime="image/png",
                claim=make_claim(media("png", 200, f"plate-{name}")), identity=identity)
    return dst


def _verify(world, path: Path) -> dict:
    with open(path, "rb") as fh:
        return verify_upload(fh, user=world.auditor, name=path.name)


def test_a_compromised_key_signs_files_that_read_revoked(world, platform_ca, media, tmp_path) -> None:
    old = pki.signing_identity()
    before = _sign(media, tmp_path, "before")
    time.sleep(2.5)  # past the rounding of signing times (verification.TIME_UNCERTAINTY)
    revoked = signing_certificate_revoke(certificate=platform_ca, reason="compromised", by=world.ops)
    assert revoked.revoked_at and revoked.revocation_reason == "compromised" and not revoked.active
    replacement = SigningCertificate.objects.get(active=True)
    assert replacement.serial != old.serial
    stolen = _sign(media, tmp_path, "stolen", identity=old)  # whoever holds the old key signs on
    fresh = _sign(media, tmp_path, "fresh")

    result = _verify(world, stolen)
    assert result["state"] == "Revoked" and result["platform"] is None
    line = next(f for f in result["failures"] if f["code"] == "signingCredential.revoked")
    assert f"revoked on {revoked.revoked_at:%Y-%m-%d}" in line["detail"] and "key compromise" in line["detail"]
    assert "after that" in line["detail"]
    earlier = _verify(world, before)
    assert earlier["state"] == "Trusted" and earlier["platform"] is not None
    assert REVOKED_AFTER_SIGNING in [i["code"] for i in earlier["informational"]]
    assert _verify(world, fresh)["state"] == "Trusted"

    page = Client()
    page.force_login(world.auditor)
    text = page.post("/verify/", {"file": io.BytesIO(stolen.read_bytes())}).content.decode()
    assert 'data-state="Revoked"' in text and "Signed with a revoked certificate" in text


def test_a_compromise_dated_earlier_reaches_files_signed_since(world, platform_ca, media, tmp_path) -> None:
    signed = _sign(media, tmp_path, "since")
    signing_certificate_revoke(certificate=platform_ca, reason="compromised", by=world.ops,
                               since=timezone.now() - dt.timedelta(hours=1))
    assert _verify(world, signed)["state"] == "Revoked"


def test_rotation_revokes_the_certificate_it_replaces(world, platform_ca, media, tmp_path) -> None:
    old = pki.signing_identity()
    signed = _sign(media, tmp_path, "rotated")
    time.sleep(2.5)
    pki_rotate(by=world.ops)
    platform_ca.refresh_from_db()
    assert platform_ca.revocation_reason == "superseded" and platform_ca.revoked_at
    assert _verify(world, signed)["state"] == "Trusted"  # signed before the rotation: it stands
    late = _sign(media, tmp_path, "late", identity=old)
    assert _verify(world, late)["state"] == "Revoked"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_reads_the_crl_and_refuses_the_revoked_certificate(world, platform_ca, settings, tmp_path) -> None:
    base = Path(settings.PKI_DIR)
    leaf = base / "signing" / f"{platform_ca.serial}.cert.pem"
    args = ["openssl", "verify", "-CAfile", str(base / "root.cert.pem"), "-untrusted",
            str(base / "intermediate.cert.pem"), "-crl_check", "-CRLfile"]
    crl = tmp_path / "crl.pem"
    crl.write_bytes(pki.crl_pem())
    assert subprocess.run([*args, str(crl), str(leaf)], capture_output=True, text=True).returncode == 0
    signing_certificate_revoke(certificate=platform_ca, reason="compromised", by=world.ops)
    response = Client().get("/trust/crl.pem")  # published without sign-in
    assert response.status_code == 200 and response["Content-Type"] == "application/x-pem-file"
    crl.write_bytes(response.content)
    done = subprocess.run([*args, str(crl), str(leaf)], capture_output=True, text=True)
    assert done.returncode != 0 and "certificate revoked" in done.stdout + done.stderr
    listed = x509.load_pem_x509_crl(response.content)
    assert listed.get_revoked_certificate_by_serial_number(int(platform_ca.serial, 16)) is not None
    assert Client().get("/trust/anchors.pem").content == pki.trust_anchors_pem()
    assert b"BEGIN CERTIFICATE" in Client().get("/trust/tsa.pem").content


def test_a_crl_from_another_ca_is_ignored(world, platform_ca, media, tmp_path) -> None:
    """A CRL is evidence only when the signing certificate's own issuer signed it."""
    from likeness.provenance.verification import verify_path

    signed = _sign(media, tmp_path, "other-crl")
    other = tmp_path / "other"
    pki.pki_create(base=other)
    (other / "signing" / f"{platform_ca.serial}.cert.pem").write_bytes(b"")  # so the other CA "knows" the serial
    pki.pki_revoke(serial=platform_ca.serial, reason="compromised", base=other)
    report = verify_path(signed, anchors_pem=pki.trust_anchors_pem().decode(), crl_pem=pki.crl_pem(other))
    assert report.state == "Trusted"


def test_the_revoke_command_refuses_what_it_cannot_do(world, platform_ca) -> None:
    with pytest.raises(CommandError, match="no signing certificate"):
        call_command("pki_revoke", "ffffffffffffff")
    with pytest.raises(CommandError, match="needs a time zone"):
        call_command("pki_revoke", platform_ca.serial, "--since", "2026-01-01T00:00:00")
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(CommandError, match="cannot start in the future"):
        call_command("pki_revoke", platform_ca.serial, "--since", future)
    assert SigningCertificate.objects.get(pk=platform_ca.pk).revoked_at is None
    out = io.StringIO()
    call_command("pki_revoke", platform_ca.serial[:10], "--reason", "retired", stdout=out)
    assert "revoked from" in out.getvalue() and "signing now with" in out.getvalue()
