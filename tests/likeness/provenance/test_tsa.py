"""The platform's own timestamp authority, judged by OpenSSL's independent RFC 3161 implementation (`openssl ts`)
and by c2pa-rs (which validates the timestamp in every signature)."""
from __future__ import annotations

import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from likeness.signing import pki
from likeness.signing.tsa import POLICY, local_tsa_url

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def _ask(url: str, query: bytes) -> bytes:
    request = urllib.request.Request(url, data=query, headers={"Content-Type": "application/timestamp-query"})
    with urllib.request.urlopen(request, timeout=10) as response:  # the loopback authority
        assert response.headers["Content-Type"] == "application/timestamp-reply"
        return response.read()


def _openssl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "ts", *args], capture_output=True, text=True, timeout=30)


def test_openssl_verifies_a_timestamp_against_the_platform_root(pki_base: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"the signature bytes a C2PA signer would send")
    query = tmp_path / "q.tsq"
    assert _openssl("-query", "-data", str(data), "-sha256", "-cert", "-out", str(query)).returncode == 0
    reply = tmp_path / "r.tsr"
    reply.write_bytes(_ask(local_tsa_url(pki_base), query.read_bytes()))
    text = _openssl("-reply", "-in", str(reply), "-text").stdout
    assert "Status: Granted." in text and f"Policy OID: {POLICY}" in text and "Nonce:" in text
    done = _openssl("-verify", "-data", str(data), "-in", str(reply), "-CAfile", str(pki_base / "root.cert.pem"),
                    "-untrusted", str(pki_base / "intermediate.cert.pem"))
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stdout + done.stderr
    # The same token does not vouch for other data.
    other = tmp_path / "other.bin"
    other.write_bytes(b"something else")
    assert _openssl("-verify", "-data", str(other), "-in", str(reply), "-CAfile", str(pki_base / "root.cert.pem"),
                    "-untrusted", str(pki_base / "intermediate.cert.pem")).returncode != 0


def test_the_authority_certificate_is_for_timestamping_only(pki_base: Path) -> None:
    cert = x509.load_pem_x509_certificate((pki_base / "tsa.cert.pem").read_bytes())
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]  # RFC 3161 section 2.3
    assert cert.issuer == pki.load_cert(pki_base / "intermediate.cert.pem").subject


@pytest.mark.parametrize(("query", "reason"), [
    (b"not a timestamp query", "not a DER TimeStampReq"),
    (tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                                                           "hashed_message": b"short"}}).dump(), "malformed"),
    (tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "md5"},
                                                           "hashed_message": b"0" * 16}}).dump(), "(md5)"),
    (tsp.TimeStampReq({"version": "v1", "req_policy": "1.2.3.4", "message_imprint": {
        "hash_algorithm": {"algorithm": "sha256"}, "hashed_message": b"0" * 32}}).dump(), "unaccepted policy"),
])
def test_bad_queries_are_rejected_with_the_reason(pki_base: Path, tmp_path: Path, query: bytes, reason: str) -> None:
    reply = tmp_path / "r.tsr"
    reply.write_bytes(_ask(local_tsa_url(pki_base), query))
    text = _openssl("-reply", "-in", str(reply), "-text").stdout
    assert "Status: Rejected." in text and reason in text and "TST info:\nNot included." in text, text
