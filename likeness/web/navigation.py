"""The navigation bar: only the pages a person's roles may open (the pages check again on their own)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from likeness.access.predicates import may_manage_any_members, may_see_productions
from likeness.access.reach import Reach
from likeness.web.access import in_groups, request_reach, request_roles


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    groups: tuple[str, ...]
    # Where a role is not enough (legal of a law firm is not studio staff), the predicate the page itself asks.
    allowed: Callable[[Reach], bool] | None = None

    def shown_to(self, request: HttpRequest) -> bool:
        if self.allowed is not None:
            return self.allowed(request_reach(request))
        return in_groups(request, self.groups)


NAV = (
    NavItem("Performers", "web:performers", ("consent",)),
    NavItem("Approvals", "web:approvals", ("consent",)),
    NavItem("Jobs", "web:jobs", ("vfx",)),
    NavItem("Request training", "web:job_training_new", ("vfx",)),
    NavItem("Request aging", "web:job_aging_new", ("vfx",)),
    NavItem("Models", "web:models", ("vfx",)),
    NavItem("Productions", "web:productions", (), allowed=may_see_productions),
    NavItem("Live preview", "web:preview", ("vfx",)),
    NavItem("Verify a file", "web:verify", ("auditor",)),
    NavItem("Outputs", "web:outputs", ("consent", "vfx", "auditor")),
    NavItem("Audit log", "web:audit_log", ("auditor",)),
    NavItem("Usage reports", "web:usage", ("auditor", "consent")),
    NavItem("Decisions", "web:decisions", ("consent", "vfx", "auditor")),
    NavItem("Rules", "web:rules", ("consent", "vfx", "auditor", "admin")),
    NavItem("Members", "web:members", (), allowed=may_manage_any_members),
    NavItem("Platform health", "web:health", ("operator",)),
)


def navigation(request: HttpRequest) -> dict[str, object]:
    """Template context: `nav` (label, url, current) and `role_labels` for the signed-in user."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav": []}
    items = []
    for item in NAV:
        if item.shown_to(request):
            url = reverse(item.url_name)
            items.append({"label": item.label, "url": url, "current": request.path.startswith(url)})
    from likeness.organisations.models import Role

    labels = sorted(str(Role(r).label) for r in request_roles(request))
    return {"nav": items, "role_labels": labels}
