"""The platform's own RFC 3161 timestamp authority, used when no external one is configured.

Every signature carries a timestamp: it is what lets a file stay Trusted after its signing certificate expires
(the timestamp proves the signature was made while the certificate was valid) and what lets readers show when
it was signed. Production sets LIKENESS_TSA_URL to an external authority; without one, each signing process
answers its own timestamp queries on a loopback port (`local_tsa_url`), with the TSA key and certificate the
platform's CA issued (`pki.pki_issue_tsa`: extended key usage timeStamping only, critical, as RFC 3161 § 2.3
requires). The answers are ordinary RFC 3161 responses: `openssl ts -verify` checks them (see the tests).

A timestamp from the platform's own authority proves less than one from an independent authority (whoever holds
the platform's keys could also backdate); docs/provenance.md says so.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from likeness.signing import pki

# The policy under which the platform's authority issues timestamps: an OID in the UUID arc (ITU-T X.667), so it
# names this platform's policy and no one else's.
POLICY = "2.25.160134931416395498434582497232213546087"
ACCURACY_SECONDS = 1
MAX_QUERY = 16 * 1024
DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}


class TsaError(Exception):
    pass


class _Rejection(core.Sequence):
    """TimeStampResp without its (optional) token: asn1crypto's definition makes the token required."""

    _fields = [("status", tsp.PKIStatusInfo)]


def _reject(status: int, text: str, failure: str) -> bytes:
    return cast(bytes, _Rejection({"status": {"status": status, "status_string": [text],
                                              "fail_info": tsp.PKIFailureInfo({failure})}}).dump())


def timestamp_reply(query: bytes, *, key: ec.EllipticCurvePrivateKey, cert_der: bytes,
                    now: dt.datetime | None = None) -> bytes:
    """The DER TimeStampResp for one DER TimeStampReq: granted with a signed token, or rejected with the reason."""
    try:
        request = tsp.TimeStampReq.load(query)
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        digest = imprint["hashed_message"].native
        nonce = request["nonce"].native
        cert_req = bool(request["cert_req"].native)
        policy = request["req_policy"].native
    except (ValueError, TypeError, KeyError):
        return _reject(2, "the request is not a DER TimeStampReq", "bad_data_format")
    if algorithm not in DIGESTS or len(digest) != DIGESTS[algorithm]:
        return _reject(2, f"unsupported or malformed message imprint ({algorithm})", "bad_alg")
    if policy is not None and policy != POLICY:
        return _reject(2, f"unaccepted policy {policy}", "unaccepted_policy")
    certificate = asn1_x509.Certificate.load(cert_der)
    info = {
        "version": "v1", "policy": POLICY,
        "message_imprint": {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": digest},
        "serial_number": secrets.randbits(127), "gen_time": (now or dt.datetime.now(dt.UTC)),
        "accuracy": {"seconds": ACCURACY_SECONDS}, "ordering": False,
    }
    if nonce is not None:
        info["nonce"] = nonce
    tst_info = tsp.TSTInfo(info)
    content = tst_info.dump()
    signed_attrs = cms.CMSAttributes([
        {"type": "content_type", "values": ["tst_info"]},
        {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
        # RFC 5816: the certificate that signs, by hash, so it cannot be swapped for another with the same name.
        {"type": "signing_certificate_v2", "values": [{"certs": [{
            "hash_algorithm": {"algorithm": "sha256"}, "cert_hash": hashlib.sha256(cert_der).digest(),
            "issuer_serial": {"issuer": [asn1_x509.GeneralName(name="directory_name",
                                                               value=certificate.issuer)],
                              "serial_number": certificate.serial_number}}]}]},
        {"type": "signing_time", "values": [cms.Time(name="utc_time", value=info["gen_time"])]},
    ])
    signature = key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier(name="issuer_and_serial_number", value={
            "issuer": certificate.issuer, "serial_number": certificate.serial_number}),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": signed_attrs,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
        "signature": signature,
    })
    fields = {
        "version": "v3",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(content)},
        "signer_infos": [signer],
    }
    if cert_req:
        fields["certificates"] = [certificate]
    signed_data = cms.SignedData(fields)
    token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return cast(bytes, tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump())


# ----- the loopback authority of one signing process -------------------------------------------------------------

def _handler(key: ec.EllipticCurvePrivateKey, cert_der: bytes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the http.server API
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_QUERY:
                self.send_error(413 if length else 411)
                return
            reply = timestamp_reply(self.rfile.read(length), key=key, cert_der=cert_der)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_args: object) -> None:  # the signing log says what was signed; no HTTP noise
            return

    return Handler


_servers: dict[tuple[int, str], tuple[ThreadingHTTPServer, str]] = {}
_lock = threading.Lock()


def local_tsa_url(base: Path | None = None) -> str:
    """The URL of this process's loopback timestamp authority, started on first use (one per process and PKI
    folder: after fork a worker starts its own). The TSA certificate is issued on first use if the PKI has none."""
    folder = str(pki.pki_dir(base))
    with _lock:
        found = _servers.get((os.getpid(), folder))
        if found is not None:
            return found[1]
        identity = pki.tsa_identity(base=base)
        key = serialization.load_pem_private_key(identity.key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TsaError(f"{identity.key_path} is not an EC key")
        cert_der = identity.certificate().public_bytes(serialization.Encoding.DER)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(key, cert_der))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="likeness-tsa", daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        _servers[(os.getpid(), folder)] = (server, url)
        return url


def timestamp_url(base: Path | None = None) -> str:
    """Where this process's signatures get their timestamps: the configured authority (LIKENESS_TSA_URL), else
    the platform's own. There is no way to sign without one."""
    from django.conf import settings

    return settings.TSA_URL or local_tsa_url(base)


def timestamp_request(data: bytes, url: str | None = None, *, timeout: float = 30) -> bytes:
    """Ask a timestamp authority (default: timestamp_url()) to timestamp `data`; the DER TimeStampResp. Raises
    TsaError unless the answer is granted, for these bytes, with the nonce sent."""
    import urllib.request

    nonce = secrets.randbits(63)
    query = tsp.TimeStampReq({"version": "v1", "nonce": nonce, "cert_req": True, "message_imprint": {
        "hash_algorithm": {"algorithm": "sha256"}, "hashed_message": hashlib.sha256(data).digest()}}).dump()
    request = urllib.request.Request(url or timestamp_url(), data=query,
                                     headers={"Content-Type": "application/timestamp-query"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # the configured TSA
            reply = response.read()
    except OSError as exc:
        raise TsaError(f"the timestamp authority did not answer: {exc}") from exc
    info = token_info(reply)
    if info["nonce"] != nonce or info["imprint"] != hashlib.sha256(data).digest():
        raise TsaError("the timestamp authority answered for other data")
    return cast(bytes, reply)


def token_info(reply: bytes) -> dict[str, Any]:
    """What a granted TimeStampResp says, after checking its signature with the certificate it carries:
    `time`, `imprint` (the SHA-256 it dates), `nonce`, `tsa` (the signer's subject) and `certificate` (DER)."""
    try:
        outer = core.Sequence.load(reply)
        status = tsp.PKIStatusInfo.load(outer[0].dump())
        if status["status"].native not in ("granted", "granted_with_mods") or len(outer) < 2:
            raise TsaError(f"the timestamp was refused: {status['status_string'].native}")
        token = cms.ContentInfo.load(outer[1].dump())
        signed = token["content"]
        content = signed["encap_content_info"]["content"].parsed
        signer = signed["signer_infos"][0]
        certificate = signed["certificates"][0].chosen
        attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise TsaError(f"the timestamp cannot be read: {exc}") from exc
    if attrs["message_digest"].native != hashlib.sha256(signed["encap_content_info"]["content"].contents).digest():
        raise TsaError("the timestamp token's content does not match its signed digest")
    public_key = x509.load_der_x509_certificate(certificate.dump()).public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise TsaError("only EC timestamp authorities are read here; check others with `openssl ts -verify`")
    try:
        # The signature covers the attributes as a SET OF (tag 0x31), not as the [0] they are stored under.
        signed_bytes = b"\x31" + signer["signed_attrs"].dump()[1:]
        public_key.verify(signer["signature"].native, signed_bytes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise TsaError("the timestamp token's signature does not verify") from exc
    return {"time": content["gen_time"].native, "imprint": content["message_imprint"]["hashed_message"].native,
            "nonce": content["nonce"].native, "tsa": certificate.subject.human_friendly,
            "certificate": certificate.dump()}
