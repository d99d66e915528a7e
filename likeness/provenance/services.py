"""Writing provenance records: signing certificates, the output registry, approval and signed release.

Every function runs in one transaction with its audit event. Slow work (signing a large file) happens outside
the transaction so no row lock is held for minutes; the release is then recorded only if nothing changed.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from cryptography import x509
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from likeness.access.predicates import may_approve_output, require
from likeness.accounts import second_factor
from likeness.audit.services import audit_record
from likeness.common.hashing import sha256_stream
from likeness.common.uploads import STORAGE_FULL, is_disk_full, save_whole
from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.consent.selectors import grant_effective_status
from likeness.people.models import Performer
from likeness.policy.models import Decision
from likeness.productions.models import Production
from likeness.provenance.fingerprint import fingerprint_path
from likeness.provenance.models import OUTPUT_STATES, Output, OutputStatus, SigningCertificate
from likeness.provenance.signals import output_closed
from likeness.provenance.signing import SUPPORTED_MIMES, OutputClaim, SignedFile, SigningError, sign_output
from likeness.signing import pki

EXTENSIONS = {"video/mp4": ".mp4", "image/png": ".png", "image/jpeg": ".jpg"}
# Obligation codes that say a person acting for the performer must approve before release. The platform asks
# for that approval for every output anyway (see docs/provenance.md); the code makes the reason explicit.
APPROVAL_OBLIGATIONS = frozenset({"talent_approval", "approval_before_release"})


# --- signing certificates -------------------------------------------------------------------------------------

def _cert_fields(cert: x509.Certificate) -> dict[str, Any]:
    return {
        "serial": format(cert.serial_number, "x"),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
        "fingerprint_sha256": pki.fingerprint(cert),
        "certificate_pem": pki.cert_pem(cert).decode(),
    }


@transaction.atomic
def signing_certificate_register(*, identity: pki.SigningIdentity, by: User | None,
                                 activate: bool = True) -> SigningCertificate:
    """Record a certificate issued on disk; the active one is the one outputs are signed with."""
    fields = _cert_fields(identity.certificate())
    if activate:
        for old in SigningCertificate.objects.select_for_update(no_key=True).filter(active=True):
            old.active, old.retired_at = False, timezone.now()
            old.save(update_fields=["active", "retired_at"])
    cert, _ = SigningCertificate.objects.update_or_create(serial=fields["serial"],
                                                          defaults={**fields, "active": activate})
    audit_record(actor=by, action="pki.signing_certificate_issued", obj=cert,
                 data={"serial": cert.serial, "fingerprint": cert.fingerprint_sha256, "not_after": cert.not_after,
                       "active": activate})
    return cert


def pki_initialise(*, by: User | None = None, base: Path | None = None,
                   signing_days: int | None = None) -> SigningCertificate:
    """Create the CA and the first signing certificate (refuses when a CA exists), and record it."""
    try:
        identity = pki.pki_create(base=base, signing_days=signing_days)
    except pki.PkiError as exc:
        raise ValidationError({"pki": [str(exc)]}) from exc
    return signing_certificate_register(identity=identity, by=by)


@dataclasses.dataclass(frozen=True)
class PkiState:
    """What `pki_ensure` found or did, in lines an operator reads, and the active certificate on record."""

    created: bool
    lines: tuple[str, ...]
    certificate: SigningCertificate | None


def _records_issued_by(base: Path, records: Sequence[SigningCertificate]) -> list[SigningCertificate]:
    return [c for c in records if pki.issued_here(serial=c.serial, fingerprint_sha256=c.fingerprint_sha256,
                                                  base=base)]


def _describe(records: Sequence[SigningCertificate]) -> str:
    active = next((c for c in records if c.active), None)
    shown = active or records[0]
    return (f"{len(records)} signing certificate(s) ({'active' if active else 'latest'}: serial {shown.serial[:16]}, "
            f"SHA-256 {shown.fingerprint_sha256[:16]}…)")


def pki_ensure(*, by: User | None = None, base: Path | None = None, signing_days: int | None = None,
               new_ca: bool = False) -> PkiState:
    """Make the CA folder and the database's certificate records agree, or say plainly why they cannot
    (ValidationError, one line), for `pki_init --if-missing` at every start.

    - No CA in the folder and no certificate on record: a new CA (a fresh instance).
    - A CA and no certificate on record (a fresh database beside an existing CA): its active signing certificate
      is recorded as active, so outputs signed from now on read as the platform's and the certificate as current.
    - Certificates on record but no CA in the folder: files they signed chain only to their own CA's anchors,
      so a new CA would orphan them. The CA is copied from the old default location when that is the one which
      issued them; otherwise refused, unless `new_ca` (then the old files no longer read as the platform's).
    - A CA that issued none of the certificates on record: another instance's CA; refused.
    """
    d = pki.pki_dir(base)
    records = list(SigningCertificate.objects.order_by("-created_at"))
    lines: list[str] = []
    if not pki.ca_exists(d) and records:
        legacy = pki.LEGACY_PKI_DIR
        if legacy.resolve() != d.resolve() and pki.ca_exists(legacy) and _records_issued_by(legacy, records):
            try:
                pki.pki_copy(source=legacy, target=d)
            except (pki.PkiError, OSError) as exc:
                raise ValidationError({"pki": [f"could not copy the CA from {legacy} to {d}: {exc}"]}) from exc
            lines.append(f"copied the CA that issued this database's signing certificates from {legacy} (the old "
                         f"default location) to {d}; the original stays for any other checkout that uses it")
        elif not new_ca:
            raise ValidationError({"pki": [
                f"the database records {_describe(records)} but {d} holds no CA, so files signed with them would "
                f"stop verifying as the platform's: restore that CA's folder to {d} (or point LIKENESS_PKI_DIR at "
                "it), or run `manage.py pki_init --new-ca` to start a new CA anyway"]})
    if not pki.ca_exists(d):
        cert = pki_initialise(by=by, base=d, signing_days=signing_days)
        if records:
            lines.append(f"started a new CA although the database records {_describe(records)}: files signed "
                         "under the old CA no longer read as the platform's")
        return PkiState(created=True, lines=(*lines, f"CA created in {d}"), certificate=cert)
    serial = pki.active_serial(d)
    try:
        identity = pki.signing_identity(base=d, serial=serial) if serial else None
    except pki.PkiError as exc:
        raise ValidationError({"pki": [f"the CA in {d} names signing certificate {serial} as active, but: {exc}"]}) \
            from exc
    if serial is None or identity is None:
        raise ValidationError({"pki": [f"the CA in {d} names no active signing certificate (the file `active` is "
                                       "missing): run `manage.py pki_rotate` to issue one"]})
    fingerprint = pki.fingerprint(identity.certificate())
    if records and not _records_issued_by(d, records):
        raise ValidationError({"pki": [
            f"the CA in {d} issued none of the {_describe(records)} this database records (its active certificate "
            f"is serial {serial[:16]}): the database belongs with another CA. Point LIKENESS_PKI_DIR at that CA's "
            "folder, or use this CA with a fresh database"]})
    known = next((c for c in records if c.fingerprint_sha256 == fingerprint), None)
    if known is None:
        # The database has never seen this certificate: recorded as the active one, as pki_init would have.
        known = signing_certificate_register(identity=identity, by=by, activate=True)
        lines.append(f"recorded the CA's active signing certificate {serial[:16]}, which this database did not know")
    elif not known.active:
        lines.append(f"note: the CA signs with certificate {serial[:16]}, which this database records as "
                     f"{'revoked' if known.revoked_at else 'retired'}; run `manage.py pki_rotate` for a new one")
    return PkiState(created=False, lines=(f"CA already present in {d}", *lines), certificate=known)


def pki_rotate(*, by: User | None = None, base: Path | None = None,
               days: int | None = None) -> SigningCertificate:
    """Issue a new signing certificate and make it active, and revoke the one it replaces (reason superseded,
    from now): files signed before keep verifying (timestamped, same anchors); anything its key signs from now
    on reads revoked."""
    previous = list(SigningCertificate.objects.filter(active=True))
    try:
        identity = pki.pki_issue_signing(base=base, days=days)
    except pki.PkiError as exc:
        raise ValidationError({"pki": [str(exc)]}) from exc
    cert = signing_certificate_register(identity=identity, by=by)
    for old in previous:
        signing_certificate_revoke(certificate=old, reason="superseded", by=by, base=base)
    return cert


@transaction.atomic
def signing_certificate_revoke(*, certificate: SigningCertificate, reason: str, by: User | None,
                               since: dt.datetime | None = None, base: Path | None = None) -> SigningCertificate:
    """Put a signing certificate on the CA's CRL from `since` (default now; earlier for a key compromised since
    then). Revoking the active certificate first issues a new one, so signing goes on with an unrevoked key."""
    if reason not in pki.REASONS:
        raise ValidationError({"reason": [f"unknown reason {reason!r} (known: {', '.join(pki.REASONS)})"]})
    when = since or timezone.now()
    if when > timezone.now():
        raise ValidationError({"since": ["a revocation cannot start in the future"]})
    cert = SigningCertificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
    if cert.active:
        pki_rotate(by=by, base=base)  # revokes `cert` (superseded) on the way; the reason given wins below
        cert.refresh_from_db()
    try:
        entry = pki.pki_revoke(serial=cert.serial, reason=reason, revoked_at=when, base=base)
    except pki.PkiError as exc:
        raise ValidationError({"pki": [str(exc)]}) from exc
    cert.revoked_at, cert.revocation_reason = entry.revoked_at, entry.reason  # as the CRL now says
    cert.active = False
    cert.retired_at = cert.retired_at or timezone.now()
    cert.save(update_fields=["revoked_at", "revocation_reason", "active", "retired_at"])
    audit_record(actor=by, action="pki.signing_certificate_revoked", obj=cert,
                 data={"serial": cert.serial, "fingerprint": cert.fingerprint_sha256, "reason": reason,
                       "revoked_at": cert.revoked_at})
    return cert


def _certificate_for(signed: SignedFile) -> SigningCertificate:
    cert = SigningCertificate.objects.filter(fingerprint_sha256=signed.certificate_fingerprint).first()
    if cert is None:  # issued on disk by another process (pki_rotate on another host) and not yet recorded
        # With no active certificate on record (a database that never ran pki_init beside this CA), the one the
        # CA signs with is the current one, not a retired one.
        activate = (signed.certificate_serial == pki.active_serial()
                    and not SigningCertificate.objects.filter(active=True).exists())
        cert = signing_certificate_register(identity=pki.signing_identity(serial=signed.certificate_serial),
                                            by=None, activate=activate)
    return cert


# --- registering outputs --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class StoredRender:
    """A render already copied into storage (and hashed) for an Output not yet recorded: `output_id` is the id
    the record will have, so the file's name matches it."""

    output_id: uuid.UUID
    name: str
    sha256: str
    size: int
    mime: str


def output_file_store(*, local_file: Path, mime: str) -> StoredRender:
    """Copy a render into storage and hash it, outside any transaction: a worker copying a large file (to S3, or
    a slow volume) must hold no database lock meanwhile; on SQLite any open write transaction stops every other
    writer. Record it with `output_register(stored=...)`, or remove it with `output_file_discard`."""
    if mime not in SUPPORTED_MIMES:
        raise ValidationError({"mime": [f"{mime} cannot be signed; supported: {', '.join(sorted(SUPPORTED_MIMES))}"]})
    holder = Output()  # unsaved: only its id and its file field's storage naming are used
    with open(local_file, "rb") as fh:
        digest = sha256_stream(fh)
        size = os.fstat(fh.fileno()).st_size
        fh.seek(0)
        holder.file.save(f"rendered/{holder.id}{EXTENSIONS[mime]}", File(fh), save=False)
    return StoredRender(output_id=holder.id, name=holder.file.name or "", sha256=digest, size=size, mime=mime)


def output_file_discard(stored: StoredRender) -> None:
    """Remove a stored render that was never recorded (the job lost its claim, or consent ended meanwhile)."""
    if not Output.objects.filter(pk=stored.output_id).exists():
        Output._meta.get_field("file").storage.delete(stored.name)


def _grant_of(decision: Decision) -> ConsentGrant:
    grant = decision.grants.order_by("-version").first()
    if grant is None:
        raise ValidationError({"decision": ["the decision names no consent grant: nothing covers this output"]})
    return grant


@transaction.atomic
def output_register(
    *,
    decision: Decision,
    performer: Performer,
    production: Production,
    local_file: Path | None = None,
    mime: str,
    by: User | None,
    job_ref: str = "",
    likeness_model_id: str = "",
    likeness_model_weights_sha256: str = "",
    source_sha256: str = "",
    dataset_manifest_sha256: str = "",
    reference_titles: Sequence[str] = (),
    engine_name: str = "likeness-engine",
    engine_version: str = "",
    parameters: dict[str, Any] | None = None,
    source_plate: str | Path = "",
    source_plate_mime: str = "",
    fingerprint_now: bool = True,
    stored: StoredRender | None = None,
) -> Output:
    """Record a rendered (unsigned) output awaiting approval: the file at `local_file` is copied into storage,
    or `stored` names one `output_file_store` already copied (so this transaction writes rows only).

    `source_plate`: a storage name (e.g. the job's plate FileField name) or a local path; it becomes the parent
    ingredient when the output is signed.
    """
    if mime not in SUPPORTED_MIMES:
        raise ValidationError({"mime": [f"{mime} cannot be signed; supported: {', '.join(sorted(SUPPORTED_MIMES))}"]})
    if not decision.allowed:
        raise ValidationError({"decision": [f"the gate did not allow this use: {decision.explanation}"]})
    if decision.performer_id != performer.pk or decision.production_id != production.pk:
        raise ValidationError({"decision": ["the decision is about another performer or production"]})
    if (local_file is None) == (stored is None):
        raise ValueError("output_register needs exactly one of local_file and stored")
    if stored is not None and stored.mime != mime:
        raise ValueError(f"the stored render is {stored.mime}, not {mime}")
    grant = _grant_of(decision)
    output = Output(
        job_ref=job_ref, mime=mime, decision=decision, grant=grant, performer=performer, production=production,
        likeness_model_id=likeness_model_id, likeness_model_weights_sha256=likeness_model_weights_sha256,
        dataset_manifest_sha256=dataset_manifest_sha256, reference_titles=list(reference_titles),
        engine_name=engine_name, engine_version=engine_version, parameters=parameters or {},
        source_sha256=source_sha256, source_plate_name=str(source_plate), source_plate_mime=source_plate_mime,
        created_by=by,
    )
    if stored is not None:
        output.id, output.file.name, digest, size = stored.output_id, stored.name, stored.sha256, stored.size
    elif local_file is not None:
        local_file = Path(local_file)
        with open(local_file, "rb") as fh:
            digest = sha256_stream(fh)
            size = os.fstat(fh.fileno()).st_size
            fh.seek(0)
            output.file.save(f"rendered/{output.id}{EXTENSIONS[mime]}", File(fh), save=False)
    # Fingerprinting decodes the whole video: callers on a latency-critical path (a worker finishing a job)
    # defer it to the default queue (output_fingerprint_task) instead of waiting for it here.
    fp = _fingerprint_or_blank(local_file, mime) if fingerprint_now and local_file is not None else ""
    output.sha256, output.rendered_sha256, output.size, output.fingerprint = digest, digest, size, fp
    if fingerprint_now:
        output.source_fingerprint = _plate_fingerprint_or_blank(output)
    output.rendered_name = output.file.name or ""
    output.save()
    audit_record(actor=by, action="output.registered", obj=output,
                 data={"sha256": digest, "mime": mime, "size": size, "decision": str(decision.pk),
                       "grant": grant.pk, "grant_version": grant.version, "job": job_ref,
                       "model": likeness_model_id, "weights_sha256": likeness_model_weights_sha256})
    return output


def _fingerprint_or_blank(path: Path, mime: str) -> str:
    try:
        return fingerprint_path(path, mime)
    except Exception:  # a file the decoders cannot read still gets a record, without fingerprint
        return ""


def _plate_fingerprint_or_blank(output: Output, plate: Path | None = None) -> str:
    """The source plate's content fingerprint: verification tells the untouched plate from a copy of the output
    by it. Blank when there is no plate to read (a record without one, a plate no longer stored)."""
    if plate is not None:
        return _fingerprint_or_blank(plate, output.source_plate_mime or output.mime)
    if not output.source_plate_name:
        return ""
    try:
        with _local(output.source_plate_name, EXTENSIONS.get(output.source_plate_mime, "")) as path:
            return _fingerprint_or_blank(path, output.source_plate_mime or output.mime)
    except ValidationError:
        return ""


def output_fingerprint(*, output: Output) -> Output:
    """Fill in deferred fingerprints: of the file as it is now (the render, or the signed file), and of its
    source plate."""
    if not output.fingerprint:
        ext = EXTENSIONS[output.mime]
        with _local(output.file.name, ext) as path:
            fp = _fingerprint_or_blank(path, output.mime)
        Output.objects.filter(pk=output.pk, fingerprint="").update(fingerprint=fp)
        output.fingerprint = fp
    if not output.source_fingerprint:
        plate_fp = _plate_fingerprint_or_blank(output)
        Output.objects.filter(pk=output.pk, source_fingerprint="").update(source_fingerprint=plate_fp)
        output.source_fingerprint = plate_fp
    return output


def _require_rep(user: User, output: Output, verb: str) -> None:
    require(may_approve_output(user, output),
            f"only a talent rep or legal of an organisation representing the performer may {verb} an output")


def _note(note: str, field: str) -> str:
    if not note or not note.strip():
        raise ValidationError({field: ["say why (the note is part of the record)"]})
    return note.strip()


@transaction.atomic
def output_approve(*, output: Output, by: User, note: str, watched_sha256: str = "") -> Output:
    """The performer's side approves the output for release (a talent rep or legal who represents them).

    `watched_sha256` is the SHA-256 of the file the reviewer watched (the web page's player sends the one it
    showed): the approval is refused if the output's file is no longer that one, and the audit event records
    it, so the record proves which version of the output was seen and approved."""
    note = _note(note, "note")
    output = Output.objects.select_for_update(no_key=True).get(pk=output.pk)
    _require_rep(by, output, "approve")
    second_factor.require(by, "approving an output for release")
    if not OUTPUT_STATES.allows(output.status, OutputStatus.APPROVED):
        raise ValidationError({"status": [f"the output is {output.get_status_display().lower()}; only an output "
                                          "awaiting approval can be approved"]})
    watched = watched_sha256.strip().lower()
    if watched and watched != output.sha256:
        raise ValidationError({"watched_sha256": [
            f"the output's file changed since it was shown to you (you watched {watched[:12]}..., it is now "
            f"{output.sha256[:12]}...): watch it again before approving"]})
    output.status, output.approved_by, output.approval_note, output.approved_at = (
        OutputStatus.APPROVED, by, note, timezone.now())
    output.save()
    audit_record(actor=by, action="output.approved", obj=output,
                 data={"note": note, "sha256": output.sha256, "watched_sha256": watched or None})
    return output


@transaction.atomic
def output_decline(*, output: Output, by: User, note: str) -> Output:
    note = _note(note, "note")
    output = Output.objects.select_for_update(no_key=True).get(pk=output.pk)
    _require_rep(by, output, "decline")
    if not OUTPUT_STATES.allows(output.status, OutputStatus.DECLINED):
        raise ValidationError({"status": [f"the output is {output.get_status_display().lower()}; it can no longer "
                                          "be declined"]})
    output.status, output.declined_by, output.decline_note, output.declined_at = (
        OutputStatus.DECLINED, by, note, timezone.now())
    output.save()
    # Before this service's audit event: listeners lock their rows before the audit chain's head is taken.
    output_closed.send(sender=Output, output=output, by=by, reason=f"declined by {by.get_username()}: {note}")
    audit_record(actor=by, action="output.declined", obj=output, data={"note": note})
    return output


# --- signed release -------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _local(name: str | None, suffix: str) -> Iterator[Path]:
    """A local path for a stored file (storage backends such as S3 have none: copy to a temporary file)."""
    if name and os.path.isabs(name) and os.path.exists(name):
        yield Path(name)
        return
    if not name or not default_storage.exists(name):
        raise ValidationError({"file": [f"stored file {name or '(none)'} is missing"]})
    try:
        yield Path(default_storage.path(name))
        return
    except NotImplementedError:
        pass
    with tempfile.TemporaryDirectory(prefix="likeness-") as tmp:
        target = Path(tmp) / f"copy{suffix}"
        with default_storage.open(name, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 4 * 1024 * 1024)
        yield target


def _obligation_codes(decision: Decision) -> list[str]:
    return sorted({o.get("code", "") for o in decision.obligations or [] if isinstance(o, dict)} - {""})


def _release_claim(output: Output, decision: Decision, grant: ConsentGrant, plate: Path,
                   fingerprint: str) -> OutputClaim:
    return OutputClaim(
        decision_id=str(decision.pk), grant_id=str(grant.pk), grant_version=grant.version,
        grant_document_sha256=grant.document_sha256, rule_pack_versions=dict(decision.rule_pack_versions or {}),
        obligations=tuple(_obligation_codes(decision)), performer_public_id=str(output.performer.public_id),
        production_id=str(output.production_id), model_id=output.likeness_model_id,
        weights_sha256=output.likeness_model_weights_sha256, dataset_manifest_sha256=output.dataset_manifest_sha256,
        reference_titles=tuple(output.reference_titles or ()), engine_name=output.engine_name,
        engine_version=output.engine_version or "unknown", parameters=dict(output.parameters or {}),
        source_plate=plate, source_plate_mime=output.source_plate_mime or output.mime, use=decision.use,
        output_id=str(output.pk), title=f"{output.production.title} — output {str(output.pk)[:8]}",
        extra={"rendered_under_decision_id": str(output.decision_id), "approved_at": output.approved_at,
               "signed_at": timezone.now()},
        fingerprint=fingerprint,
    )


def _refuse(output: Output, by: User | None, reason: str, decision: Decision | None = None) -> NoReturn:
    with transaction.atomic():
        audit_record(actor=by, action="output.release_refused", obj=output,
                     data={"reason": reason, "decision": str(decision.pk) if decision else None})
    raise ValidationError({"release": [reason]})


def _release_grant(decision: Decision, output: Output) -> ConsentGrant:
    grants = list(decision.grants.order_by("-version"))
    same_family = [g for g in grants if g.family == output.grant.family]
    if not (same_family or grants):
        raise ValidationError({"release": ["the release decision names no consent grant"]})
    return (same_family or grants)[0]


def output_sign_and_release(*, output: Output, by: User | None,
                            regate: Callable[[], Decision]) -> Output:
    """Sign an approved output and release it, if the gate allows the use at this moment.

    `regate` re-runs the gate for this output's use now (the caller knows the request: the jobs app) and returns
    the stored Decision. Release is refused, with the gate's explanation, unless that decision allows it; it is
    refused too without the performer's side's approval. The signed file is a new file; if signing fails nothing
    is stored and the output stays approved.
    """
    output = Output.objects.select_related("performer", "production", "grant").get(pk=output.pk)
    if output.status != OutputStatus.APPROVED:
        if output.status == OutputStatus.AWAITING_APPROVAL:
            _refuse(output, by, "the output has not been approved by a talent rep or legal who represents the "
                                "performer: approval is required before release")
        _refuse(output, by, f"the output is {output.get_status_display().lower()}; only an approved output can "
                            "be released")
    decision = regate()
    if not isinstance(decision, Decision):
        raise TypeError("regate must return the stored policy Decision")
    if decision.performer_id != output.performer_id or decision.production_id != output.production_id:
        _refuse(output, by, "the release decision is about another performer or production", decision)
    if not decision.allowed:
        _refuse(output, by, f"the gate does not allow release now: {decision.explanation}", decision)
    needs_approval = set(_obligation_codes(decision)) & APPROVAL_OBLIGATIONS
    if needs_approval and not output.approved_by_id:
        _refuse(output, by, "the decision requires the performer's approval before release", decision)
    grant = _release_grant(decision, output)
    ext = EXTENSIONS[output.mime]
    with tempfile.TemporaryDirectory(prefix="likeness-sign-") as tmp:
        signed_path = Path(tmp) / f"signed{ext}"
        with _local(output.file.name, ext) as rendered, \
                _local(output.source_plate_name, EXTENSIONS.get(output.source_plate_mime, ext)) as plate:
            # The soft binding names the content fingerprint the registry stores: a deferred one is made now.
            fingerprint = output.fingerprint or _fingerprint_or_blank(rendered, output.mime)
            plate_fingerprint = output.source_fingerprint or _plate_fingerprint_or_blank(output, plate)
            if not fingerprint:
                _refuse(output, by, "the render cannot be decoded for its content fingerprint, which every signed "
                                    "output carries as its soft binding; nothing was released", decision)
            try:
                signed = sign_output(src=rendered, dst=signed_path, mime=output.mime,
                                     claim=_release_claim(output, decision, grant, plate, fingerprint))
            except (SigningError, pki.PkiError) as exc:
                _refuse(output, by, f"signing failed, nothing was released: {exc}", decision)
        # The signed file goes into storage before the short transaction that records the release, never inside
        # it: a copy of gigabytes (to S3, or a slow volume) would hold the audit chain's head row, and on SQLite
        # the database's one write lock, so every other audited write would wait for it.
        try:
            stored_name = _store_signed(output, signed)
        except OSError as exc:
            _refuse(output, by, STORAGE_FULL if is_disk_full(exc) else
                    f"the signed file could not be stored ({exc.strerror or exc}); nothing was released", decision)
        try:
            return _record_release(output=output, decision=decision, grant=grant, signed=signed, by=by,
                                   stored_name=stored_name, fingerprint=fingerprint,
                                   plate_fingerprint=plate_fingerprint)
        except BaseException:
            default_storage.delete(stored_name)  # refused (or failed) after the copy: no file without its record
            raise


def _store_signed(output: Output, signed: SignedFile) -> str:
    """The signed file's stored name; a write that fails removes the partial file (and raises its OSError)."""
    target = default_storage.get_available_name(f"outputs/signed/{output.pk}{EXTENSIONS[signed.mime]}")
    with open(signed.path, "rb") as fh:
        return save_whole(default_storage, target, File(fh))


@transaction.atomic
def _record_release(*, output: Output, decision: Decision, grant: ConsentGrant, signed: SignedFile,
                    by: User | None, stored_name: str, fingerprint: str, plate_fingerprint: str = "") -> Output:
    locked = Output.objects.select_for_update(no_key=True).get(pk=output.pk)
    if not OUTPUT_STATES.allows(locked.status, OutputStatus.RELEASED):
        raise ValidationError({"release": [f"the output became {locked.get_status_display().lower()} while it was "
                                           "being signed; not released"]})
    # Consent may have been revoked while the file was being signed: lock the grant and look again.
    current = ConsentGrant.objects.select_for_update(no_key=True).get(pk=grant.pk)
    if current.status != GrantStatus.ACTIVE or grant_effective_status(current) != GrantStatus.ACTIVE:
        raise ValidationError({"release": [f"{current.label} is no longer active ({current.status}); not released"]})
    cert = _certificate_for(signed)
    now = timezone.now()
    locked.file.name = stored_name
    locked.sha256, locked.size, locked.manifest_label = signed.sha256, signed.size, signed.manifest_label
    locked.signed_by_certificate, locked.release_decision = cert, decision
    locked.status, locked.released_by, locked.released_at = OutputStatus.RELEASED, by, now
    locked.fingerprint = locked.fingerprint or fingerprint
    # The plate as the signed manifest names it (its parent ingredient's hash): the registry recognises that
    # exact file as this output's source.
    locked.source_sha256 = signed.source_sha256 or locked.source_sha256
    locked.source_fingerprint = locked.source_fingerprint or plate_fingerprint
    locked.save()
    audit_record(actor=by, action="output.released", obj=locked,
                 data={"sha256": signed.sha256, "manifest_label": signed.manifest_label,
                       "decision": str(decision.pk), "grant": grant.pk, "grant_version": grant.version,
                       "certificate": cert.serial, "rendered_sha256": locked.rendered_sha256,
                       "source_sha256": locked.source_sha256})
    return locked


# --- consent withdrawn after the fact -------------------------------------------------------------------------

def outputs_mark_consent_withdrawn(*, grant: ConsentGrant, by: User | None, reason: str) -> int:
    """Called inside the transaction that revokes or expires a grant (consent's grant_withdrawn signal).

    Released outputs keep their status (the file is out in the world) but the record shows the withdrawal;
    outputs not yet released are withdrawn: the gate would refuse their release anyway.
    """
    now = timezone.now()
    count = 0
    family_grants = ConsentGrant.objects.filter(family=grant.family).values("pk")
    for output in Output.objects.select_for_update(no_key=True).filter(grant__in=family_grants,
                                                                        consent_revoked_at__isnull=True):
        output.consent_revoked_at = now
        output.consent_note = f"{grant.label} {grant.status} on {now:%Y-%m-%d}: {reason}"
        if OUTPUT_STATES.allows(output.status, OutputStatus.WITHDRAWN):
            output.status = OutputStatus.WITHDRAWN
        output.save()
        audit_record(actor=by, action="output.consent_withdrawn", obj=output,
                     data={"grant": grant.pk, "reason": reason, "status": output.status})
        count += 1
    return count
