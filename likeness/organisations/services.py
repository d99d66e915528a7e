from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from likeness.access.predicates import may_assign_role, may_grant_engagement, may_manage_members, require
from likeness.access.reach import reach_of
from likeness.audit.services import audit_record
from likeness.organisations.models import (
    AuditEngagement,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    assignable_roles,
)


@transaction.atomic
def organisation_create(*, name: str, kind: str, by: User | None) -> Organisation:
    organisation = Organisation(name=name, kind=kind)
    organisation.full_clean()
    organisation.save()
    audit_record(actor=by, action="organisation.created", obj=organisation, data={"name": name, "kind": kind})
    return organisation


@transaction.atomic
def membership_create(
    *, user: User, organisation: Organisation, role: str, by: User | None
) -> Membership:
    if role in Role.values and role not in assignable_roles(organisation.kind):
        raise ValidationError({"role": [f"a {organisation.get_kind_display().lower()} cannot hold the "
                                        f"{Role(role).label.lower()} role"
                                        + (" (auditors belong to an audit firm and read only what an audit "
                                           "engagement covers)" if role == Role.AUDITOR else "")]})
    if by is not None:  # None: the platform itself (seeding, management commands)
        require(may_assign_role(by, organisation, role),
                f"only an admin of {organisation} (or an operator) manages its members")
    membership = Membership(user=user, organisation=organisation, role=role)
    membership.full_clean()
    membership.save()
    audit_record(
        actor=by,
        action="membership.created",
        obj=membership,
        data={"user": user.get_username(), "organisation": organisation.pk, "role": role},
    )
    return membership


def membership_delete_refusal(membership: Membership) -> str | None:
    """Why this membership cannot be removed, whoever asks; None when it can. An organisation keeps at least one
    admin: without one nobody could add or remove its members, and only an operator could repair it. The members
    page asks this before it offers the remove button."""
    if membership.role != Role.ADMIN:
        return None
    others = Membership.objects.filter(organisation_id=membership.organisation_id, role=Role.ADMIN) \
        .exclude(pk=membership.pk)
    if not others.exists():
        return f"{membership.user.get_username()} is the only admin of {membership.organisation}: add another admin first"
    return None


@transaction.atomic
def membership_delete(*, membership: Membership, by: User | None) -> None:
    if by is not None:
        require(may_manage_members(by, membership.organisation),
                f"only an admin of {membership.organisation} (or an operator) manages its members")
        # Locked, so two admins removing each other at once cannot both pass the last-admin check.
        list(Membership.objects.select_for_update().filter(organisation_id=membership.organisation_id,
                                                           role=Role.ADMIN))
        problem = membership_delete_refusal(membership)
        if problem:
            raise ValidationError({"role": [problem]})
    audit_record(
        actor=by,
        action="membership.deleted",
        obj=membership,
        data={"user": membership.user.get_username(), "organisation": membership.organisation_id,
              "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def audit_engagement_grant(*, audit_firm: Organisation, organisations: list[Organisation],
                           performers: list[Any], period_start: dt.date, period_end: dt.date,
                           starts_on: dt.date, ends_on: dt.date, purpose: str,
                           by: User) -> AuditEngagement:
    """License an audit firm to read: an operator for any scope, an organisation's admin over that
    organisation (and performers it represents) only."""
    require(may_grant_engagement(by, organisations, performers),
            "only an operator, or an admin of every organisation named (and of one representing every performer "
            "named), may grant this audit engagement")
    errors: dict[str, list[str]] = {}
    if audit_firm.kind != OrganisationKind.AUDIT_FIRM:
        errors["audit_firm"] = [f"{audit_firm} is not an audit firm"]
    if not organisations and not performers:
        errors["organisations"] = ["name at least one organisation or performer to audit"]
    if period_end < period_start:
        errors["period_end"] = [f"the audited period ends ({period_end}) before it starts ({period_start})"]
    if ends_on < starts_on:
        errors["ends_on"] = [f"the engagement ends ({ends_on}) before it starts ({starts_on})"]
    if not purpose.strip():
        errors["purpose"] = ["say what the audit is for"]
    if errors:
        raise ValidationError(errors)
    admin_orgs = reach_of(by).orgs(frozenset({Role.ADMIN}))
    granted_for = next((o for o in organisations if o.pk in admin_orgs), None) if not by.is_superuser else None
    engagement = AuditEngagement.objects.create(
        audit_firm=audit_firm, period_start=period_start, period_end=period_end, starts_on=starts_on,
        ends_on=ends_on, purpose=purpose.strip(), granted_by=by, granted_for=granted_for)
    engagement.organisations.set(organisations)
    engagement.performers.set(performers)
    audit_record(actor=by, action="audit_engagement.granted", obj=engagement,
                 data={"audit_firm": audit_firm.pk, "organisations": sorted(o.pk for o in organisations),
                       "performers": sorted(p.pk for p in performers), "period": [period_start, period_end],
                       "term": [starts_on, ends_on], "purpose": engagement.purpose})
    return engagement


@transaction.atomic
def audit_engagement_revoke(*, engagement: AuditEngagement, by: User) -> AuditEngagement:
    """Whoever could grant the engagement's scope may end it; it stops reaching anything at once."""
    engagement = AuditEngagement.objects.select_for_update().get(pk=engagement.pk)
    require(may_grant_engagement(by, list(engagement.organisations.all()), list(engagement.performers.all())),
            "only an operator or an admin of the audited organisation may revoke this engagement")
    if engagement.revoked_at is not None:
        raise ValidationError({"revoked_at": [f"the engagement was already revoked on {engagement.revoked_at:%Y-%m-%d}"]})
    engagement.revoked_at, engagement.revoked_by = timezone.now(), by
    engagement.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(actor=by, action="audit_engagement.revoked", obj=engagement, data={})
    return engagement
