"""Writing consent: draft, amend, submit with the signed contract, approve (activate), revoke, expire.

Each service is one transaction with its audit event inside it. Permission checks live here, not in views,
so the API, the admin and the pages share them.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, BinaryIO

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from likeness.access.predicates import may_bind_performer, may_draft_grant, may_edit_grant_draft, require
from likeness.accounts import second_factor
from likeness.audit.services import audit_record
from likeness.common.uploads import save_to_field
from likeness.consent.documents import validate_signed_document
from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.consent.selectors import DIFF_FIELDS, grant_diff
from likeness.consent.signals import grant_withdrawn
from likeness.consent.validation import scope_errors
from likeness.people.models import Performer
from likeness.productions.models import Production

SCOPE_FIELDS = frozenset(DIFF_FIELDS)


def _only_scope_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - SCOPE_FIELDS
    if unknown:
        raise ValidationError({k: ["unknown field"] for k in sorted(unknown)})


def _require_manager(user: User, performer: Performer, action: str) -> None:
    require(may_bind_performer(user, performer),
            f"only a talent rep or legal of an organisation representing {performer} may {action}")


def _require_drafter(user: User, performer: Performer, productions: Iterable[Production],
                     action: str) -> None:
    require(may_draft_grant(user, performer, productions),
            f"you may not {action} consent for {performer}: the performer's reps and counsel draft consent, and a "
            "studio's legal only for its own productions once an active consent ties the performer to the studio")


def _check_scope(grant: ConsentGrant, productions: list[Production]) -> None:
    errors = scope_errors({name: getattr(grant, name) for name in SCOPE_FIELDS}, productions)
    try:
        # A field the scope rules refused is not validated again: its own check or the database constraint on
        # the range would only repeat the problem in vaguer words ("Constraint ... is violated").
        grant.full_clean(exclude=["drafted_by", *errors])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _snapshot(grant: ConsentGrant) -> dict[str, Any]:
    data = {name: getattr(grant, name) for name in sorted(SCOPE_FIELDS)}
    data["productions"] = sorted(grant.productions.values_list("pk", flat=True))
    data["performer"] = grant.performer_id
    # Compensation stays out of the audit trail, which auditors and exports see.
    for secret in ("compensation_terms",):
        data[secret] = "<recorded>" if data[secret] else ""
    return data


@transaction.atomic
def grant_draft_create(*, performer: Performer, productions: list[Production], by: User,
                       **scope: Any) -> ConsentGrant:
    _only_scope_fields(scope)
    _require_drafter(by, performer, productions, "draft")
    grant = ConsentGrant(performer=performer, drafted_by=by, **scope)
    _check_scope(grant, productions)
    grant.save()
    grant.productions.set(productions)
    audit_record(actor=by, action="grant.drafted", obj=grant, data=_snapshot(grant))
    return grant


@transaction.atomic
def grant_draft_update(*, grant: ConsentGrant, by: User, productions: list[Production] | None = None,
                       **changes: Any) -> ConsentGrant:
    grant = ConsentGrant.objects.select_for_update(no_key=True).get(pk=grant.pk)
    if grant.status != GrantStatus.DRAFT:
        raise ValidationError({"status": [f"{grant.label} is {grant.status}; only drafts can be edited (amend it)"]})
    _only_scope_fields(changes)
    prods = productions if productions is not None else list(grant.productions.all())
    require(may_edit_grant_draft(by, grant, prods), f"you may not edit this draft of consent for {grant.performer}")
    for name, value in changes.items():
        setattr(grant, name, value)
    _check_scope(grant, prods)
    grant.save()
    if productions is not None:
        grant.productions.set(productions)
    audit_record(actor=by, action="grant.draft_updated", obj=grant, data=_snapshot(grant))
    return grant


def _amend_state_problem(grant: ConsentGrant) -> str | None:
    if grant.status != GrantStatus.ACTIVE:
        return f"{grant.label} is {grant.status}; only an active grant can be amended"
    open_draft = ConsentGrant.objects.filter(
        family=grant.family, status__in=[GrantStatus.DRAFT, GrantStatus.AWAITING_APPROVAL]).first()
    if open_draft is not None:
        return f"{open_draft.label} is already an open amendment of this consent"
    return None


def grant_amend_refusal(*, grant: ConsentGrant, by: User) -> str | None:
    """Why `by` may not amend `grant` (keeping its productions), as grant_amend refuses; None when they may."""
    problem = _amend_state_problem(grant)
    if problem is None and not may_draft_grant(by, grant.performer, list(grant.productions.all())):
        problem = f"you may not amend consent for {grant.performer}"
    return problem


@transaction.atomic
def grant_amend(*, grant: ConsentGrant, by: User, productions: list[Production] | None = None,
                **changes: Any) -> ConsentGrant:
    """Start a new version from the active one. It supersedes the active version only when activated."""
    grant = ConsentGrant.objects.select_for_update(no_key=True).get(pk=grant.pk)
    problem = _amend_state_problem(grant)
    if problem:
        raise ValidationError({"status": [problem]})
    _only_scope_fields(changes)
    prods = productions if productions is not None else list(grant.productions.all())
    _require_drafter(by, grant.performer, prods, "amend")
    next_version = (ConsentGrant.objects.filter(family=grant.family).aggregate(v=Max("version"))["v"] or 0) + 1
    amended = ConsentGrant(performer=grant.performer, family=grant.family, version=next_version, supersedes=grant,
                           drafted_by=by, **{name: getattr(grant, name) for name in SCOPE_FIELDS})
    for name, value in changes.items():
        setattr(amended, name, value)
    _check_scope(amended, prods)
    amended.save()
    amended.productions.set(prods)
    audit_record(actor=by, action="grant.amended", obj=amended,
                 data={"amends": grant.pk, "version": next_version,
                       "changes": [r["field"] for r in grant_diff(grant, amended, include_confidential=True)]})
    return amended


@transaction.atomic
def grant_submit(*, grant: ConsentGrant, document: BinaryIO, by: User, signed_on: Any = None,
                 document_name: str = "consent.pdf", document_size: int | None = None) -> ConsentGrant:
    """Attach the signed contract (PDF) and put the draft in the approval queue."""
    grant = ConsentGrant.objects.select_for_update(no_key=True).get(pk=grant.pk)
    if grant.status != GrantStatus.DRAFT:
        raise ValidationError({"status": [f"{grant.label} is {grant.status}; only a draft can be submitted"]})
    require(may_edit_grant_draft(by, grant), f"you may not submit this draft of consent for {grant.performer}")
    digest = validate_signed_document(document, size=document_size)
    document.seek(0)
    save_to_field(grant.document, f"grant-{grant.family}-v{grant.version}.pdf", File(document, name=document_name),
                  field="document")
    grant.document_sha256 = digest
    grant.signed_on = signed_on or timezone.now().date()
    grant.status = GrantStatus.AWAITING_APPROVAL
    grant.submitted_at = timezone.now()
    try:
        grant.save()
        audit_record(actor=by, action="grant.submitted", obj=grant,
                     data={"document_sha256": digest, "signed_on": grant.signed_on})
    except Exception:
        grant.document.delete(save=False)  # nothing half-written: no orphaned contract file
        raise
    return grant


_NOT_PERMITTED = "__permission__"


def _approve_problem(grant: ConsentGrant, by: User) -> tuple[str, str] | None:
    """(field, reason) that stops `by` approving `grant` now, None when nothing does but the second factor."""
    if grant.status != GrantStatus.AWAITING_APPROVAL:
        return "status", f"{grant.label} is {grant.status}; only a submitted grant can be approved"
    if grant.drafted_by_id == by.pk:
        # Four eyes: the person who drafted a consent never activates it.
        return "approved_by", "activation needs a second person: you drafted this grant"
    if not may_bind_performer(by, grant.performer):
        return _NOT_PERMITTED, (f"only a talent rep or legal of an organisation representing {grant.performer} may "
                                "approve consent")
    if not grant.document_sha256:
        return "document", "the signed contract must be uploaded before approval"
    if grant.term_end is not None and grant.term_end < timezone.now().date():
        return "term_end", f"the term ended on {grant.term_end}; this grant cannot be activated"
    return None


def grant_approve_refusal(*, grant: ConsentGrant, by: User) -> str | None:
    """Why `by` may not approve `grant`, in the words grant_approve refuses with; None when they may (with a fresh
    second factor). Pages ask this before they offer the approve button, so they never offer one the service
    refuses."""
    problem = _approve_problem(grant, by)
    return None if problem is None else problem[1]


@transaction.atomic
def grant_approve(*, grant: ConsentGrant, by: User) -> ConsentGrant:
    """Second party activates the grant; an earlier active version of the same consent is superseded."""
    grant = ConsentGrant.objects.select_for_update(no_key=True).get(pk=grant.pk)
    problem = _approve_problem(grant, by)
    if problem is not None and problem[0] == _NOT_PERMITTED:
        raise PermissionDenied(problem[1])
    if problem is not None and problem[0] in ("status", "approved_by"):
        raise ValidationError({problem[0]: [problem[1]]})
    second_factor.require(by, "approving consent")
    if problem is not None:
        raise ValidationError({problem[0]: [problem[1]]})
    now = timezone.now()
    previous = grant.supersedes
    if previous is not None:
        previous = ConsentGrant.objects.select_for_update(no_key=True).get(pk=previous.pk)
        if previous.status == GrantStatus.ACTIVE:
            previous.status = GrantStatus.SUPERSEDED
            previous.superseded_at = now
            previous.save()
            audit_record(actor=by, action="grant.superseded", obj=previous, data={"by_version": grant.version})
        elif previous.status != GrantStatus.SUPERSEDED:
            raise ValidationError({"status": [f"the version this amends ({previous.label}) is {previous.status}; "
                                              "an amendment cannot revive it"]})
    grant.status = GrantStatus.ACTIVE
    grant.approved_by = by
    grant.activated_at = now
    try:
        grant.save()
    except IntegrityError as exc:
        raise ValidationError({"status": ["another version of this consent is already active"]}) from exc
    audit_record(actor=by, action="grant.activated", obj=grant,
                 data={"drafted_by": grant.drafted_by.get_username(), "document_sha256": grant.document_sha256})
    return grant


@transaction.atomic
def grant_revoke(*, grant: ConsentGrant, by: User, reason: str) -> ConsentGrant:
    """Withdraw consent: effective at the gate's next check. Open amendments of it are withdrawn too."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": ["say why consent is revoked"]})
    grant = ConsentGrant.objects.select_for_update(no_key=True).get(pk=grant.pk)
    _require_manager(by, grant.performer, "revoke consent")
    second_factor.require(by, "revoking consent")
    if grant.status != GrantStatus.ACTIVE:
        raise ValidationError({"status": [f"{grant.label} is {grant.status}; only an active grant can be revoked"]})
    now = timezone.now()
    grant.status, grant.revoked_by, grant.revoked_at, grant.revocation_reason = (
        GrantStatus.REVOKED, by, now, reason.strip())
    grant.save()
    withdrawn = list(ConsentGrant.objects.select_for_update(no_key=True).filter(
        family=grant.family, status__in=[GrantStatus.DRAFT, GrantStatus.AWAITING_APPROVAL]))
    for pending in withdrawn:
        pending.status, pending.revoked_by, pending.revoked_at = GrantStatus.REVOKED, by, now
        pending.revocation_reason = f"consent revoked (v{grant.version}): {grant.revocation_reason}"
        pending.save()
    # Listeners lock what they change (jobs, models, outputs) before anyone writes an audit event: every
    # transaction takes the audit chain's head last, so revocation cannot deadlock with a worker.
    grant_withdrawn.send(sender=ConsentGrant, grant=grant, by=by, reason=grant.revocation_reason)
    audit_record(actor=by, action="grant.revoked", obj=grant, data={"reason": grant.revocation_reason})
    for pending in withdrawn:
        audit_record(actor=by, action="grant.revoked", obj=pending, data={"reason": pending.revocation_reason})
    return grant


@transaction.atomic
def grants_expire(*, now: Any = None) -> list[ConsentGrant]:
    """Mark active grants whose term has ended as expired (the gate already treats them so)."""
    now = now or timezone.now()
    expired = []
    for grant in ConsentGrant.objects.select_for_update(no_key=True).filter(status=GrantStatus.ACTIVE,
                                                                 term_end__lt=now.date()):
        grant.status, grant.expired_at = GrantStatus.EXPIRED, now
        grant.save()
        grant_withdrawn.send(sender=ConsentGrant, grant=grant, by=None, reason=f"term ended on {grant.term_end}")
        audit_record(actor=None, action="grant.expired", obj=grant, data={"term_end": grant.term_end})
        expired.append(grant)
    return expired


@transaction.atomic
def grant_draft_delete(*, grant: ConsentGrant, by: User) -> None:
    grant = ConsentGrant.objects.select_for_update(no_key=True).get(pk=grant.pk)
    if grant.status != GrantStatus.DRAFT:
        raise ValidationError({"status": [f"{grant.label} is {grant.status}; only drafts can be deleted"]})
    require(may_edit_grant_draft(by, grant), f"you may not delete this draft of consent for {grant.performer}")
    audit_record(actor=by, action="grant.draft_deleted", obj=grant, data={"version": grant.version})
    grant.delete()
