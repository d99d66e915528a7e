"""Who may open which page. Pages refuse whole roles early (these helpers); what a user may see and change is
decided by likeness.access, which the services enforce, exactly as for the API."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from likeness.access.predicates import is_read_only
from likeness.access.reach import Reach, reach_of
from likeness.organisations.models import CONSENT_ROLES, VFX_ROLES, Role

ROLE_GROUPS: dict[str, frozenset[str]] = {
    "consent": CONSENT_ROLES,
    "vfx": VFX_ROLES,
    "auditor": frozenset({Role.AUDITOR}),
    "admin": frozenset({Role.ADMIN}),
    # Not a membership role: the platform's operators (superusers), who run it for every organisation.
    "operator": frozenset(),
}
GROUP_NAMES = {"consent": "talent reps and legal", "vfx": "VFX artists and supervisors", "auditor": "auditors",
               "admin": "organisation admins", "operator": "the platform's operators"}


def request_reach(request: HttpRequest) -> Reach:
    """The user's reach, read once per request."""
    if not hasattr(request, "_likeness_reach"):
        request._likeness_reach = reach_of(request.user)  # type: ignore[attr-defined]
    return request._likeness_reach  # type: ignore[attr-defined]


def request_roles(request: HttpRequest) -> frozenset[str]:
    return request_reach(request).roles


def in_groups(request: HttpRequest, groups: Iterable[str]) -> bool:
    reach = request_reach(request)
    return any(reach.roles & ROLE_GROUPS[g] or (g == "operator" and reach.operator) for g in groups)


def require_groups(request: HttpRequest, groups: Iterable[str], doing: str) -> None:
    groups = list(groups)
    if not in_groups(request, groups):
        who = " or ".join(GROUP_NAMES[g] for g in groups)
        raise PermissionDenied(f"Only {who} may {doing}.")


def read_only(request: HttpRequest) -> bool:
    """As the API's AuditorsReadOnly: an account whose only role is auditor changes nothing."""
    return is_read_only(request_reach(request))


def refuse_auditors(request: HttpRequest, doing: str) -> None:
    """Pages that change something call this first, for a clear message; the services refuse all the same."""
    if read_only(request):
        raise PermissionDenied(f"Auditors have read-only access: they may not {doing}.")


def for_groups(*groups: str, doing: str) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """View decorator: sign-in required, then one of the role groups (e.g. @for_groups("vfx", doing="request
    jobs")). The refusal names who may, so the person knows whom to ask."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            require_groups(request, groups, doing)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
