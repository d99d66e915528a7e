"""Reading consent grants: visibility, effective status, history and differences between versions."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from likeness.access.scope import performers_managed_by
from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.policy.coverage import effective_status

DIFF_FIELDS = (
    "uses", "depicted_age_min", "depicted_age_max", "media", "territories", "term_start", "term_end",
    "replica_types", "prohibited_content", "exclusive", "destroy_models_on_revocation", "use_description",
    "description_given_at",
    "represented_by_counsel", "union_agreement_covers_replicas", "separately_signed", "notice_given_at",
    "engaged_at", "biometric_consent_explicit", "compensation_terms", "compensation_days_estimate",
    "realtime_consent_separate", "realtime_pay_multiple", "posthumous_terms", "estate_consent",
    "estate_consent_by", "guardian_consent", "guardian_consent_by",
)
CONFIDENTIAL_FIELDS = frozenset({"compensation_terms", "compensation_days_estimate", "realtime_pay_multiple"})


def grant_effective_status(grant: ConsentGrant, at: dt.datetime | None = None) -> str:
    """Expired as soon as the term ends, even before the expiry sweep has marked it."""
    return effective_status(grant, (at or timezone.now()).date())


def grants_awaiting_approval_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ConsentGrant]:
    """Submitted grants this user may activate: of performers they manage, drafted by someone else."""
    return ConsentGrant.objects.filter(performer__in=performers_managed_by(user).values("pk"),
                                       status=GrantStatus.AWAITING_APPROVAL).exclude(drafted_by=user.pk)


def grant_family(grant: ConsentGrant) -> QuerySet[ConsentGrant]:
    return ConsentGrant.objects.filter(family=grant.family).order_by("version")


def grant_diff(old: ConsentGrant, new: ConsentGrant, *, include_confidential: bool) -> list[dict[str, Any]]:
    """Field-by-field difference between two versions (the side-by-side view and the amendment record)."""
    rows = []
    for name in DIFF_FIELDS:
        if name in CONFIDENTIAL_FIELDS and not include_confidential:
            continue
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            rows.append({"field": name, "old": a, "new": b})
    a_prods = sorted(old.productions.values_list("title", flat=True))
    b_prods = sorted(new.productions.values_list("title", flat=True))
    if a_prods != b_prods:
        rows.append({"field": "productions", "old": a_prods, "new": b_prods})
    return rows


