"""Whole-category refusals for the API views, asked of likeness.access like everything else. Object-level
rules are enforced in the services (what a user may change) and by the access querysets (what they may see)."""
from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from likeness.access import predicates
from likeness.access.reach import reach_of
from likeness.organisations.models import CONSENT_ROLES, VFX_ROLES, Role


class AuditorsReadOnly(BasePermission):
    """An account whose only role is auditor reads (what its engagements cover) and changes nothing. A user
    who also holds an acting role keeps that role's rights, and no more."""

    message = predicates.READ_ONLY_MESSAGE

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or not predicates.is_read_only(request.user)


class IsAuditor(BasePermission):
    message = "only auditors may read this"

    def has_permission(self, request, view) -> bool:
        reach = reach_of(request.user)
        return reach.operator or Role.AUDITOR in reach.roles


class CanReadAuditTrail(BasePermission):
    message = "only auditors under an audit engagement in force (or operators) may read the audit trail"

    def has_permission(self, request, view) -> bool:
        return predicates.may_read_audit_trail(request.user)


class CanRecordConsent(BasePermission):
    """Writes to consent records: talent reps and legal only (object checks follow in the services)."""

    message = "only talent reps and legal may change consent records"

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or bool(reach_of(request.user).roles & CONSENT_ROLES)


class CanAskGate(BasePermission):
    message = "only talent reps, legal and VFX staff may ask the gate"

    def has_permission(self, request, view) -> bool:
        return predicates.may_ask_gate(request.user)


class CanRequestJobs(BasePermission):
    message = "only VFX artists and supervisors request training and aging jobs"

    def has_permission(self, request, view) -> bool:
        return bool(reach_of(request.user).roles & VFX_ROLES)
