"""A file is the platform's only when the platform's own certificate signed it, byte for byte.

The attack: a CA made elsewhere with the platform's names (root, intermediate and signing certificate all
named as ours) issues a signing certificate with the same serial number as the platform's active one (the
serial is public in every signed file), and signs an unrelated picture whose manifest claims the platform's
real decision, grant and output. The verifier must show it as valid but not ours, with no record attached."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from cryptography import x509
from django.test import Client
from rest_framework.test import APIClient

from likeness.provenance.jumbf import StoreUnreadable, signing_chain
from likeness.provenance.models import SigningCertificate
from likeness.provenance.signing import sign_output
from likeness.signing import pki
from tests.likeness.provenance.conftest import MIMES, make_claim, write_media

pytestmark = pytest.mark.django_db


def forged_pki(base: Path, copy_of: SigningCertificate) -> Path:
    """A CA with the platform's names and a signing certificate with the platform's serial."""
    pki.pki_create(base=base)  # same default names: "Likeness Platform Root CA", "... Intermediate CA"
    int_key = pki._load_key(base / "intermediate.key.pem")
    inter = pki.load_cert(base / "intermediate.cert.pem")
    key, cert = pki.make_signing_cert(common_name="Likeness Platform Output Signing", org=pki.ORG, days=365,
                                      issuer_key=int_key, issuer_cert=inter, serial_number=int(copy_of.serial, 16))
    serial = copy_of.serial
    (base / "signing" / f"{serial}.key.pem").write_bytes(pki.key_pem(key))
    (base / "signing" / f"{serial}.cert.pem").write_bytes(pki.cert_pem(cert))
    (base / "signing" / f"{serial}.chain.pem").write_bytes(pki.cert_pem(cert) + pki.cert_pem(inter))
    (base / "active").write_text(serial + "\n")
    return base


@pytest.mark.parametrize("ext", ["png", "jpg", "mp4"])
def test_a_forged_certificate_with_our_names_and_serial_is_not_ours(released, tmp_path, ext) -> None:
    r = released(ext)
    ours = r.output.signed_by_certificate
    forged = forged_pki(tmp_path / "forged", ours)
    forged_cert = pki.load_cert(forged / "signing" / f"{ours.serial}.cert.pem")
    assert format(forged_cert.serial_number, "x") == ours.serial
    assert forged_cert.subject.rfc4514_string() == x509.load_pem_x509_certificate(
        ours.certificate_pem.encode()).subject.rfc4514_string()
    # The unrelated picture claims the real decision, grant and output.
    theirs = tmp_path / f"theirs.{ext}"
    claim = make_claim(write_media(tmp_path / f"p.{ext}", 77), decision_id=str(r.output.release_decision_id),
                       grant_id=str(r.world.grant.pk), output_id=str(r.output.pk))
    sign_output(src=write_media(tmp_path / f"unrelated.{ext}", 55), dst=theirs, mime=MIMES[ext], claim=claim,
                pki_base=forged)

    api = APIClient()
    api.force_authenticate(r.world.auditor)
    body = api.post("/api/v1/provenance/verify/", {"file": io.BytesIO(theirs.read_bytes())},
                    format="multipart").json()
    assert body["signer"]["cert_serial_number"] == ours.serial_decimal  # the serial alone would say "ours"
    assert body["state"] == "Valid" and "signingCredential.untrusted" in [f["code"] for f in body["failures"]]
    assert body["signer_certificate_sha256"] == pki.fingerprint(forged_cert) != ours.fingerprint_sha256
    assert body["platform"] is None

    page = Client()
    page.force_login(r.world.auditor)
    text = page.post("/verify/", {"file": io.BytesIO(theirs.read_bytes())}).content.decode()
    assert "Not signed by this platform" in text and "Signed by this platform: the records it names" not in text
    assert 'data-consent="active"' not in text and str(r.output.release_decision_id) not in text


@pytest.mark.parametrize("ext", ["png", "jpg", "mp4"])
def test_the_signing_certificate_is_read_from_the_file_itself(released, ext) -> None:
    """The chain comes out of the file's COSE signature, and its end-entity certificate is the issued one."""
    r = released(ext)
    with r.output.file.open("rb") as fh:
        chain = signing_chain(fh, MIMES[ext])
    leaf = x509.load_der_x509_certificate(chain[0])
    assert hashlib.sha256(chain[0]).hexdigest() == r.output.signed_by_certificate.fingerprint_sha256
    assert leaf.issuer == x509.load_der_x509_certificate(chain[1]).subject  # then the intermediate


def test_a_file_without_a_store_or_with_a_broken_one_has_no_chain(tmp_path) -> None:
    plain = write_media(tmp_path / "plain.png", 3)
    with open(plain, "rb") as fh, pytest.raises(StoreUnreadable):
        signing_chain(fh, "image/png")
    with pytest.raises(StoreUnreadable):
        signing_chain(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0\0\0\x10caBX" + b"\xff" * 20), "image/png")
    with pytest.raises(StoreUnreadable):
        signing_chain(io.BytesIO(b"\0\0\0\x08ftyp" + b"\0" * 3), "video/mp4")


def test_a_tampered_copy_of_our_file_names_no_record(released) -> None:
    r = released("jpg")
    data = bytearray(r.output.file.read())
    r.output.file.close()
    data[-12] ^= 0xFF
    api = APIClient()
    api.force_authenticate(r.world.auditor)
    body = api.post("/api/v1/provenance/verify/", {"file": io.BytesIO(bytes(data))}, format="multipart").json()
    assert body["state"] == "Invalid" and body["platform"] is None
    # The signer's certificate is still ours; what the manifest claims is still not evidence.
    assert body["signer_certificate_sha256"] == r.output.signed_by_certificate.fingerprint_sha256
