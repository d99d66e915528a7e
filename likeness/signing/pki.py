"""The platform's signing CA: a root, an intermediate and end-entity signing certificates, as files.

Layout under settings.PKI_DIR (directory 0700, every key 0600):

    root.key.pem  root.cert.pem                      the trust anchor (keep the key offline after pki_init)
    intermediate.key.pem  intermediate.cert.pem      issues signing certificates (pki_rotate uses it)
    signing/<serial>.key.pem  .cert.pem  .chain.pem  one set per signing certificate, never deleted
    tsa.key.pem  tsa.cert.pem  tsa.chain.pem          the platform's own timestamp authority (tsa.py)
    active                                           serial (hex) of the signing certificate in use
    anchors.pem                                      root (+ intermediate): what auditors trust

The profile is the one c2pa-rs accepts (see shared FACTS): ES256 on P-256, end-entity issued by a CA,
keyUsage digitalSignature (critical), extendedKeyUsage emailProtection + documentSigning + the C2PA OID,
authority and subject key identifiers, basicConstraints CA:FALSE, chain PEM end-entity first, PKCS#8 key.

This module holds no Django models so the signing code in a worker can use it without the database.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

C2PA_SIGNING_EKU = ObjectIdentifier("1.3.6.1.4.1.62558.2.1")
DOCUMENT_SIGNING_EKU = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")  # Microsoft documentSigning

ROOT_DAYS = 25 * 365
INTERMEDIATE_DAYS = 20 * 365
# Every signature carries an RFC 3161 timestamp (tsa.py), which proves it was made while the certificate was
# valid: files stay Trusted after the certificate expires, so a short life (one year, rotated) limits what a
# stolen key can sign. docs/provenance.md explains it.
SIGNING_DAYS = 365
# Certificates start a little in the past so clocks that lag slightly still accept them.
BACKDATE = dt.timedelta(minutes=5)


class PkiError(Exception):
    pass


@dataclass(frozen=True)
class SigningIdentity:
    """One signing certificate on disk."""

    serial: str  # hex
    key_path: Path
    cert_path: Path
    chain_path: Path

    def chain_pem(self) -> bytes:
        return self.chain_path.read_bytes()

    def key_pem(self) -> bytes:
        return self.key_path.read_bytes()

    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_path.read_bytes())


def pki_dir(base: Path | None = None) -> Path:
    if base is not None:
        return Path(base)
    from django.conf import settings

    return Path(settings.PKI_DIR)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    """Create a file readable only by its owner; the mode is set at creation, never widened in between."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(*, common_name: str, org: str, days: int, issuer_key: ec.EllipticCurvePrivateKey | None = None,
            issuer_cert: x509.Certificate | None = None, path_length: int | None = None,
            not_before: dt.datetime | None = None) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A CA certificate: self-signed root when no issuer is given, otherwise an intermediate."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or (_now() - BACKDATE)
    subject = _name(common_name, org)
    signing_key = issuer_key or key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                       critical=False)
    )
    return key, builder.sign(signing_key, hashes.SHA256())


def _end_entity(*, common_name: str, org: str, issuer_key: ec.EllipticCurvePrivateKey, issuer_cert: x509.Certificate,
                start: dt.datetime, end: dt.datetime, serial_number: int | None, non_repudiation: bool,
                usages: list[ObjectIdentifier], usages_critical: bool) -> tuple[ec.EllipticCurvePrivateKey,
                                                                                x509.Certificate]:
    """A P-256 end-entity certificate issued by `issuer_cert`: not a CA, key usage digitalSignature (critical),
    the given extended key usages, and key identifiers both ways."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, org))
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(serial_number or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=non_repudiation,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
                       critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=usages_critical)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                       critical=False)
        .sign(issuer_key, hashes.SHA256())
    )
    return key, cert


def make_signing_cert(*, common_name: str, org: str, days: int, issuer_key: ec.EllipticCurvePrivateKey,
                      issuer_cert: x509.Certificate, not_before: dt.datetime | None = None,
                      not_after: dt.datetime | None = None,
                      serial_number: int | None = None) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """An end-entity certificate with the profile c2pa-rs accepts for signing manifests (a random serial unless
    one is given: the tests give one to forge a certificate that copies the platform's)."""
    start = not_before or (_now() - BACKDATE)
    return _end_entity(common_name=common_name, org=org, issuer_key=issuer_key, issuer_cert=issuer_cert,
                       start=start, end=not_after or (start + dt.timedelta(days=days)), serial_number=serial_number,
                       non_repudiation=False, usages=[ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING_EKU,
                                                      C2PA_SIGNING_EKU], usages_critical=False)


TSA_DAYS = 10 * 365  # timestamps must stay checkable for as long as the files they date


def make_tsa_cert(*, common_name: str, org: str, days: int, issuer_key: ec.EllipticCurvePrivateKey,
                  issuer_cert: x509.Certificate) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A timestamp authority's certificate: RFC 3161 § 2.3 wants extended key usage timeStamping only, critical."""
    start = _now() - BACKDATE
    return _end_entity(common_name=common_name, org=org, issuer_key=issuer_key, issuer_cert=issuer_cert,
                       start=start, end=start + dt.timedelta(days=days), serial_number=None, non_repudiation=True,
                       usages=[ExtendedKeyUsageOID.TIME_STAMPING], usages_critical=True)


# --- the platform's CA on disk -------------------------------------------------------------------------------

ORG = "Likeness Platform"


# Where the CA lived by default before it moved in with the instance's data (settings.VAR_DIR / "pki"): every
# checkout on a machine shared it, so a fresh database met an old CA. Only named to help an instance find its CA.
LEGACY_PKI_DIR = Path.home() / ".local" / "share" / "likeness" / "pki"


def ca_exists(base: Path | None = None) -> bool:
    d = pki_dir(base)
    return (d / "root.key.pem").exists() or (d / "root.cert.pem").exists()


def active_serial(base: Path | None = None) -> str | None:
    """Serial (hex) of the signing certificate the folder says is in use, or None when it names none."""
    path = pki_dir(base) / "active"
    if not path.exists():
        return None
    return path.read_text().strip() or None


def issued_here(*, serial: str, fingerprint_sha256: str, base: Path | None = None) -> bool:
    """Whether the CA in this folder holds this very signing certificate (by its fingerprint: a serial alone
    could be copied by another CA)."""
    path = pki_dir(base) / "signing" / f"{serial}.cert.pem"
    if not path.exists():
        return False
    try:
        return fingerprint(load_cert(path)) == fingerprint_sha256
    except ValueError:  # not a certificate: nothing this CA issued
        return False


def pki_copy(*, source: Path, target: Path) -> None:
    """Copy a CA folder (keys stay 0600, folders 0700) to a target that holds no CA yet. A copy, not a move:
    another checkout may still use the source."""
    source, target = Path(source), Path(target)
    if ca_exists(target):
        raise PkiError(f"a CA already exists in {target}; refusing to overwrite it")
    if not ca_exists(source):
        raise PkiError(f"no CA in {source}")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(target, 0o700)
    for item in sorted(source.rglob("*")):
        dest = target / item.relative_to(source)
        if item.is_dir():
            dest.mkdir(mode=0o700, exist_ok=True)
        elif item.is_file() and not item.name.endswith(".tmp"):
            if item.name.endswith(".key.pem"):
                _write_private(dest, item.read_bytes())
            else:
                dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                _write_public(dest, item.read_bytes())


def pki_create(*, base: Path | None = None, org: str = ORG, signing_days: int | None = None) -> SigningIdentity:
    """Create the root, the intermediate and a first signing certificate. Refuses to replace an existing CA:
    files signed under it would no longer verify against new anchors."""
    d = pki_dir(base)
    if ca_exists(d):
        raise PkiError(f"a CA already exists in {d}; refusing to overwrite it (use pki_rotate for a new "
                       "signing certificate)")
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    root_key, root = make_ca(common_name=f"{org} Root CA", org=org, days=ROOT_DAYS, path_length=1)
    int_key, inter = make_ca(common_name=f"{org} Intermediate CA", org=org, days=INTERMEDIATE_DAYS,
                             issuer_key=root_key, issuer_cert=root, path_length=0)
    _write_private(d / "root.key.pem", key_pem(root_key))
    _write_public(d / "root.cert.pem", cert_pem(root))
    _write_private(d / "intermediate.key.pem", key_pem(int_key))
    _write_public(d / "intermediate.cert.pem", cert_pem(inter))
    _write_public(d / "anchors.pem", cert_pem(root) + cert_pem(inter))
    pki_issue_tsa(base=d, org=org)
    return pki_issue_signing(base=d, org=org, days=signing_days)


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError(f"{path} is not an EC key")
    return key


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def pki_issue_signing(*, base: Path | None = None, org: str = ORG, days: int | None = None,
                      not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
                      activate: bool = True) -> SigningIdentity:
    """Issue a signing certificate from the intermediate and (by default) make it the active one.

    Earlier certificates and keys stay on disk: files they signed still chain to the same anchors.
    """
    d = pki_dir(base)
    if not (d / "intermediate.key.pem").exists():
        raise PkiError(f"no CA in {d}: run `python manage.py pki_init` first")
    int_key = _load_key(d / "intermediate.key.pem")
    inter = load_cert(d / "intermediate.cert.pem")
    key, cert = make_signing_cert(common_name=f"{org} Output Signing", org=org,
                                  days=days or SIGNING_DAYS, issuer_key=int_key, issuer_cert=inter,
                                  not_before=not_before, not_after=not_after)
    serial = format(cert.serial_number, "x")
    sd = d / "signing"
    sd.mkdir(mode=0o700, exist_ok=True)
    ident = SigningIdentity(serial=serial, key_path=sd / f"{serial}.key.pem", cert_path=sd / f"{serial}.cert.pem",
                            chain_path=sd / f"{serial}.chain.pem")
    _write_private(ident.key_path, key_pem(key))
    _write_public(ident.cert_path, cert_pem(cert))
    # c2pa-rs wants the end-entity certificate first, then its issuers up to (not including) the root.
    _write_public(ident.chain_path, cert_pem(cert) + cert_pem(inter))
    if activate:
        _write_public(d / "active", serial.encode() + b"\n")
    return ident


def signing_identity(*, base: Path | None = None, serial: str | None = None) -> SigningIdentity:
    d = pki_dir(base)
    if serial is None:
        active = d / "active"
        if not active.exists():
            raise PkiError(f"no active signing certificate in {d}: run `python manage.py pki_init`")
        serial = active.read_text().strip()
    sd = d / "signing"
    ident = SigningIdentity(serial=serial, key_path=sd / f"{serial}.key.pem", cert_path=sd / f"{serial}.cert.pem",
                            chain_path=sd / f"{serial}.chain.pem")
    if not ident.key_path.exists():
        raise PkiError(f"signing certificate {serial} has no key in {sd}")
    return ident


def trust_anchors_pem(base: Path | None = None) -> bytes:
    """What verifiers trust: the root and the intermediate (both CAs of the platform)."""
    d = pki_dir(base)
    path = d / "anchors.pem"
    if not path.exists():
        raise PkiError(f"no trust anchors in {d}: run `python manage.py pki_init`")
    return path.read_bytes()


def pki_issue_tsa(*, base: Path | None = None, org: str = ORG) -> SigningIdentity:
    """Issue the platform's timestamp-authority certificate from the intermediate (replacing an earlier one:
    timestamps it made carry their own certificate and still chain to the same anchors)."""
    d = pki_dir(base)
    if not (d / "intermediate.key.pem").exists():
        raise PkiError(f"no CA in {d}: run `python manage.py pki_init` first")
    int_key = _load_key(d / "intermediate.key.pem")
    inter = load_cert(d / "intermediate.cert.pem")
    key, cert = make_tsa_cert(common_name=f"{org} Timestamp Authority", org=org, days=TSA_DAYS, issuer_key=int_key,
                              issuer_cert=inter)
    _write_private(d / "tsa.key.pem", key_pem(key))
    _write_public(d / "tsa.cert.pem", cert_pem(cert))
    _write_public(d / "tsa.chain.pem", cert_pem(cert) + cert_pem(inter))
    return tsa_identity(base=d)


def tsa_identity(*, base: Path | None = None) -> SigningIdentity:
    """The timestamp authority's key and certificate, issued on first use for a CA made before it existed."""
    d = pki_dir(base)
    if not (d / "tsa.key.pem").exists():
        return pki_issue_tsa(base=d)
    return SigningIdentity(serial=format(load_cert(d / "tsa.cert.pem").serial_number, "x"),
                           key_path=d / "tsa.key.pem", cert_path=d / "tsa.cert.pem", chain_path=d / "tsa.chain.pem")


# --- revocation: the intermediate's certificate revocation list ----------------------------------------------

CRL_DAYS = 7  # a CRL says when the next one is due; `pki_crl` (daily, from cron or Celery beat) renews it
REASONS = {"compromised": x509.ReasonFlags.key_compromise, "superseded": x509.ReasonFlags.superseded,
           "retired": x509.ReasonFlags.cessation_of_operation}


@dataclass(frozen=True)
class Revocation:
    serial: str  # hex
    revoked_at: dt.datetime
    reason: str  # a REASONS key


def crl_path(base: Path | None = None) -> Path:
    return pki_dir(base) / "crl.pem"


def revocations(base: Path | None = None) -> list[Revocation]:
    """Every revocation the CRL on disk lists."""
    path = crl_path(base)
    if not path.exists():
        return []
    names = {flag: name for name, flag in REASONS.items()}
    found = []
    for entry in x509.load_pem_x509_crl(path.read_bytes()):
        try:
            flag = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            flag = x509.ReasonFlags.unspecified
        found.append(Revocation(format(entry.serial_number, "x"), entry.revocation_date_utc,
                                names.get(flag, "retired")))
    return found


def _write_crl(d: Path, entries: list[Revocation]) -> bytes:
    int_key = _load_key(d / "intermediate.key.pem")
    inter = load_cert(d / "intermediate.cert.pem")
    previous = crl_path(d)
    number = 1
    if previous.exists():
        old = x509.load_pem_x509_crl(previous.read_bytes())
        try:
            number = old.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
        except x509.ExtensionNotFound:
            pass
    now = _now()
    builder = (x509.CertificateRevocationListBuilder().issuer_name(inter.subject).last_update(now)
               .next_update(now + dt.timedelta(days=CRL_DAYS))
               .add_extension(x509.CRLNumber(number), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(int_key.public_key()),
                              critical=False))
    for entry in sorted(entries, key=lambda e: e.revoked_at):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(int(entry.serial, 16)).revocation_date(entry.revoked_at)
            .add_extension(x509.CRLReason(REASONS[entry.reason]), critical=False).build())
    pem = builder.sign(int_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    _write_public(previous, pem)
    return pem


def pki_revoke(*, serial: str, reason: str, revoked_at: dt.datetime | None = None,
               base: Path | None = None) -> Revocation:
    """Add a signing certificate to the CRL. `revoked_at` may lie in the past (a key compromised since then):
    files signed from that moment on read "revoked". Revoking again keeps the earlier date, and "compromised"
    over any other reason."""
    if reason not in REASONS:
        raise PkiError(f"unknown reason {reason!r} (known: {', '.join(REASONS)})")
    d = pki_dir(base)
    cert_path = d / "signing" / f"{serial}.cert.pem"
    if not cert_path.exists():
        raise PkiError(f"no signing certificate {serial} was issued by the CA in {d}")
    when = (revoked_at or _now()).astimezone(dt.UTC)
    entries = {e.serial: e for e in revocations(d)}
    earlier = entries.get(serial)
    if earlier is not None:
        when = min(when, earlier.revoked_at)
        reason = "compromised" if "compromised" in (reason, earlier.reason) else earlier.reason
    entries[serial] = Revocation(serial, when, reason)
    _write_crl(d, list(entries.values()))
    return entries[serial]


def crl_pem(base: Path | None = None, *, refresh: bool = False) -> bytes:
    """The current CRL (issued empty on first use; renewed when asked, or when its next update has passed)."""
    d = pki_dir(base)
    path = crl_path(d)
    if path.exists() and not refresh:
        crl = x509.load_pem_x509_crl(path.read_bytes())
        if crl.next_update_utc is not None and crl.next_update_utc > _now():
            return path.read_bytes()
    if not (d / "intermediate.key.pem").exists():
        if path.exists():
            return path.read_bytes()  # a verifying host without the CA key: the CA host renews it (pki_crl)
        raise PkiError(f"no CA in {d}: run `python manage.py pki_init` first")
    try:
        return _write_crl(d, revocations(d))
    except OSError:
        if path.exists():
            return path.read_bytes()  # a read-only PKI folder here: the stale list still names every revocation
        raise
