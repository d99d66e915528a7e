"""Reading provenance: which outputs a user may see, registry lookups, and verification with linked records."""
from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from likeness.access.scope import decisions_visible_to, grants_visible_to, outputs_visible_to
from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.consent.selectors import grant_effective_status
from likeness.policy.models import Decision
from likeness.provenance import fingerprint as fp
from likeness.provenance.models import Output, SigningCertificate
from likeness.provenance.verification import VerificationReport, hash_stream, sniff_mime, verify_stream
from likeness.signing import pki


def outputs_by_sha256(sha256: str, qs: QuerySet[Output] | None = None) -> QuerySet[Output]:
    """The signed file's hash, or the unsigned render's (a leaked render is found too)."""
    qs = Output.objects.all() if qs is None else qs
    sha256 = sha256.strip().lower()
    return qs.filter(Q(sha256=sha256) | Q(rendered_sha256=sha256))


# What an uploaded file is to a registered output. The source plate is the untouched footage an output was made
# from: an AI alteration keeps most of its pictures, so by content alone the plate resembles the output; it is
# not a copy of it, and the answer must say which.
COPY, SOURCE, SOURCE_OR_COPY = "copy", "source", "source_or_copy"
# Fingerprint distances (mean bits of 64) closer together than this cannot tell the plate from the output: the
# alteration moved too few of the fingerprint's bits (re-encoding alone moves up to ~6).
RELATION_MARGIN_BITS = 1.0


@dataclass(frozen=True)
class FingerprintMatch:
    output: Output
    distance: float
    relation: str = COPY  # COPY: like the output's pictures; SOURCE: like its source plate's; or either


def outputs_by_fingerprint(fingerprint: str, qs: QuerySet[Output] | None = None, *,
                           max_bits: float = fp.MATCH_BITS, limit: int = 5) -> list[FingerprintMatch]:
    """Nearest outputs by content fingerprint (mean Hamming distance of sampled frames), closest first: against
    each output's own pictures and against its source plate's, whichever is nearer saying what the file is.

    A linear scan: the registry holds one row per released shot (thousands), and each comparison is a few
    integer XORs. An index (e.g. multi-index hashing on the first frame's bits) would be the next step.
    """
    qs = Output.objects.all() if qs is None else qs
    wanted = fp.decode(fingerprint)
    if not wanted:
        return []
    matches = []
    rows = qs.exclude(fingerprint="", source_fingerprint="").only("id", "fingerprint", "source_fingerprint")
    for output in rows.iterator(chunk_size=2000):
        to_output = fp.distance(wanted, output.fingerprint)
        to_source = fp.distance(wanted, output.source_fingerprint)
        d = min(to_output, to_source)
        if d > max_bits:
            continue
        if to_source + RELATION_MARGIN_BITS <= to_output:
            relation = SOURCE
        elif to_output + RELATION_MARGIN_BITS <= to_source:
            relation = COPY
        else:
            relation = SOURCE_OR_COPY
        matches.append((d, str(output.pk), relation))
    matches.sort()
    found = {str(o.pk): o for o in qs.filter(pk__in=[pk for _, pk, _ in matches[:limit]])}
    return [FingerprintMatch(found[pk], d, relation) for d, pk, relation in matches[:limit] if pk in found]


def outputs_by_source_sha256(sha256: str, qs: QuerySet[Output] | None = None) -> QuerySet[Output]:
    """Outputs made from the plate with this exact SHA-256."""
    qs = Output.objects.all() if qs is None else qs
    sha256 = sha256.strip().lower()
    return qs.filter(source_sha256=sha256) if sha256 else qs.none()


def platform_certificate(report: VerificationReport) -> SigningCertificate | None:
    """The platform's own certificate that signed the file, or None.

    A file is the platform's only when it validates Trusted against the platform's anchors AND its signing
    certificate is, byte for byte, one the platform issued (same SHA-256 of the DER). Names and serial numbers
    are public in every signed file, so a CA made elsewhere can copy them; it cannot copy the fingerprint."""
    if report.state != "Trusted" or not report.signer_certificate_sha256:
        return None
    return SigningCertificate.objects.filter(fingerprint_sha256=report.signer_certificate_sha256).first()


def _decision_summary(decision: Decision) -> dict[str, Any]:
    return {"id": str(decision.pk), "purpose": decision.purpose, "use": decision.use, "outcome": decision.outcome,
            "explanation": decision.explanation, "obligations": decision.obligations,
            "rule_pack_versions": decision.rule_pack_versions, "created_at": decision.created_at}


def grant_summary(grant: ConsentGrant) -> dict[str, Any]:
    """No compensation terms: this leaves the platform in reports and bundles."""
    now_status = grant_effective_status(grant)
    latest = ConsentGrant.objects.filter(family=grant.family).order_by("-version").first()
    return {"id": grant.pk, "family": str(grant.family), "version": grant.version, "status_now": now_status,
            "active_now": now_status == GrantStatus.ACTIVE, "revoked_at": grant.revoked_at,
            "revocation_reason": grant.revocation_reason, "superseded_at": grant.superseded_at,
            "latest_version": latest.version if latest else grant.version,
            "latest_version_status": grant_effective_status(latest) if latest else now_status,
            "document_sha256": grant.document_sha256, "term_start": grant.term_start, "term_end": grant.term_end,
            "uses": grant.uses, "depicted_age_min": grant.depicted_age_min, "depicted_age_max": grant.depicted_age_max,
            "media": grant.media, "territories": grant.territories, "replica_types": grant.replica_types}


def output_summary(output: Output) -> dict[str, Any]:
    return {"id": str(output.pk), "status": output.status, "sha256": output.sha256,
            "rendered_sha256": output.rendered_sha256, "manifest_label": output.manifest_label,
            "released_at": output.released_at, "approved_at": output.approved_at,
            "consent_revoked_at": output.consent_revoked_at, "consent_note": output.consent_note,
            "job": output.job_ref, "model": output.likeness_model_id,
            "weights_sha256": output.likeness_model_weights_sha256, "performer": str(output.performer.public_id),
            "production": output.production.title}


def linked_records(report: VerificationReport, user: Any = None) -> dict[str, Any] | None:
    """The platform's records a manifest points to, only for a file the platform signed (platform_certificate),
    and (given a user) only the records that user may see. A file that fails validation, or that another CA
    signed, names no record: what it claims is not evidence."""
    cert = platform_certificate(report)
    if cert is None:
        return None
    claim = report.consent or {}
    links: dict[str, Any] = {"certificate": {"serial": cert.serial, "fingerprint": cert.fingerprint_sha256,
                                             "not_after": cert.not_after, "active": cert.active}}
    decisions = Decision.objects.all() if user is None else decisions_visible_to(user)
    grants = ConsentGrant.objects.all() if user is None else grants_visible_to(user)
    outputs = Output.objects.all() if user is None else outputs_visible_to(user)
    decision_id, grant_id, output_id = claim.get("decision_id"), claim.get("grant_id"), claim.get("output_id")
    decision = decisions.filter(pk=decision_id).first() if decision_id else None
    links["decision"] = _decision_summary(decision) if decision else None
    grant = grants.filter(pk=grant_id).first() if grant_id is not None and str(grant_id).isdigit() else None
    links["grant"] = grant_summary(grant) if grant else None
    output = outputs.filter(pk=output_id).first() if output_id else None
    if output is None and report.active_manifest:
        output = outputs.filter(manifest_label=report.active_manifest).first()
    links["output"] = output_summary(output) if output else None
    return links


def verify_upload(stream: IO[bytes], *, user: Any, name: str = "", anchors_pem: str | None = None) -> dict[str, Any]:
    """Verify an uploaded file against the platform's anchors and add what the registry knows about it that
    `user` may see (records outside their reach read as unknown)."""
    crl = None
    if anchors_pem is None:
        try:
            anchors_pem = pki.trust_anchors_pem().decode()
            crl = pki.crl_pem()
        except pki.PkiError:
            anchors_pem = None  # no CA yet: nothing can be Trusted, files still read Valid or Invalid
    path = stream.temporary_file_path() if hasattr(stream, "temporary_file_path") else None
    # A large upload was hashed as it arrived (likeness.common.uploads); a small one is hashed here.
    known = getattr(stream, "sha256", None)
    digest = (known, int(stream.size)) if isinstance(known, str) and hasattr(stream, "size") else None
    report = verify_stream(stream, anchors_pem=anchors_pem, name=name, path=path, crl_pem=crl, digest=digest)
    result = report.as_dict()
    result["checked_at"] = timezone.now()
    result["platform"] = linked_records(report, user)
    found = registry_lookup(stream, sha256=report.sha256, mime=report.mime, qs=outputs_visible_to(user))
    result["registry"] = _visible_only(found, user)
    return result


# How a file was found, by the relation of its best match: what the pages and the API say about it.
MATCHED_BY = {(COPY, "sha256"): "sha256", (COPY, "fingerprint"): "fingerprint",
              (SOURCE, "sha256"): "source_sha256", (SOURCE, "fingerprint"): "source_fingerprint",
              (SOURCE_OR_COPY, "fingerprint"): "fingerprint"}


def _entry(output: Output, *, relation: str, by: str, distance: float) -> dict[str, Any]:
    return {**output_summary(output), "distance": round(distance, 2), "relation": relation,
            "matched_by": MATCHED_BY[(relation, by)]}


def registry_lookup(stream: IO[bytes], *, sha256: str, mime: str, qs: QuerySet[Output] | None = None) -> dict[str, Any]:
    """Find the output records a file belongs to, among `qs` (the outputs the asking user may see: any other
    record is never looked at, so the answer is the same as for a file the registry does not know).

    In order: the file IS an output (its signed file or unsigned render, exact SHA-256); the file is the source
    plate an output was made from (exact SHA-256 of the plate its manifest names); else by content fingerprint,
    against each output's pictures and its source plate's (a stripped or re-encoded copy of the output, or of
    its plate)."""
    qs = Output.objects.all() if qs is None else qs
    exact = list(outputs_by_sha256(sha256, qs).select_related("performer", "production")[:5])
    if exact:
        return _answer([_entry(o, relation=COPY, by="sha256", distance=0) for o in exact])
    sources = list(outputs_by_source_sha256(sha256, qs).select_related("performer", "production")[:5])
    if sources:
        return _answer([_entry(o, relation=SOURCE, by="sha256", distance=0) for o in sources])
    try:
        print_ = fp.fingerprint_stream(stream, mime)
    except Exception:  # undecodable content has no fingerprint; the answer says so
        return {**_answer([]), "note": "the content could not be decoded for a fingerprint"}
    matches = outputs_by_fingerprint(print_, qs)
    return {**_answer([_entry(m.output, relation=m.relation, by="fingerprint", distance=m.distance)
                       for m in matches]), "fingerprint": print_}


def _summary(entry: dict[str, Any] | None) -> str:
    """One plain sentence on what the file is, for the pages and the API alike."""
    if entry is None:
        return "No registered output matches this file."
    short = entry["id"][:8]
    return {
        "sha256": f"Found by exact SHA-256. This file is output {short} (its signed file or its unsigned render).",
        "source_sha256": f"Found by exact SHA-256. This file is the source plate of output {short}, the untouched "
                         "footage the output was made from; it is not a copy of the output.",
        "source_fingerprint": f"Found by content fingerprint. This file matches the source plate of output {short} "
                              "(the footage the output was made from, re-encoded or resized); it is not a copy of "
                              "the output.",
        "fingerprint": (f"Found by content fingerprint. This file matches output {short}, a copy whose bytes differ "
                        "(Content Credentials stripped, or re-encoded)." if entry["relation"] == COPY else
                        f"Found by content fingerprint. This file matches output {short} and its source plate "
                        "equally closely; the alteration is too small for the fingerprint to tell which it is, and "
                        "its SHA-256 matches neither."),
    }[entry["matched_by"]]


def _answer(outputs: list[dict[str, Any]]) -> dict[str, Any]:
    best = outputs[0] if outputs else None
    return {"matched_by": best["matched_by"] if best else None, "relation": best["relation"] if best else None,
            "summary": _summary(best), "outputs": outputs}


def _visible_only(found: dict[str, Any], user: Any) -> dict[str, Any]:
    """Only the outputs this user may see are named; a match the user may not see reads as no match."""
    ids = [o["id"] for o in found["outputs"]]
    visible = {str(pk) for pk in outputs_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)}
    found.update(_answer([o for o in found["outputs"] if o["id"] in visible]))
    return found


def registry_lookup_upload(user: AbstractBaseUser | AnonymousUser, upload: Any) -> dict[str, Any]:
    """Look an uploaded file up for `user` (API and web alike): by exact hash, then by content fingerprint; only
    the outputs this user may see are named, and a match the user may not see reads as no match."""
    with upload.open("rb") as fh:
        sha256, _ = hash_stream(fh)
        mime = sniff_mime(fh.read(16), upload.name)
        fh.seek(0)
        found = registry_lookup(fh, sha256=sha256, mime=mime, qs=outputs_visible_to(user))
    found = _visible_only(found, user)
    found.update(sha256=sha256, mime=mime)
    return found
