"""Role checks shared by the API views. Object-level rules live in the selectors (what a user may see)
and the services (what a user may change); these classes only refuse whole categories early."""
from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from likeness.organisations.models import CONSENT_ROLES, VFX_ROLES, Role
from likeness.organisations.selectors import user_roles


class AuditorsReadOnly(BasePermission):
    """Anyone holding an auditor role reads everything and changes nothing."""

    message = "auditors have read-only access"

    def has_permission(self, request, view) -> bool:  # noqa: ANN001
        return request.method in SAFE_METHODS or Role.AUDITOR not in user_roles(request.user)


class IsAuditor(BasePermission):
    message = "only auditors may read this"

    def has_permission(self, request, view) -> bool:  # noqa: ANN001
        return request.user.is_superuser or Role.AUDITOR in user_roles(request.user)


class CanRecordConsent(BasePermission):
    """Writes to consent records: talent reps and legal only (object checks follow in the services)."""

    message = "only talent reps and legal may change consent records"

    def has_permission(self, request, view) -> bool:  # noqa: ANN001
        return request.method in SAFE_METHODS or bool(user_roles(request.user) & CONSENT_ROLES)


class CanAskGate(BasePermission):
    message = "only talent reps, legal and VFX staff may ask the gate"

    def has_permission(self, request, view) -> bool:  # noqa: ANN001
        return bool(user_roles(request.user) & (CONSENT_ROLES | VFX_ROLES))


class CanRequestJobs(BasePermission):
    message = "only VFX artists and supervisors request training and aging jobs"

    def has_permission(self, request, view) -> bool:  # noqa: ANN001
        return bool(user_roles(request.user) & VFX_ROLES)

