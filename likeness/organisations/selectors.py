"""Reading organisations. Who may see and do what is decided in likeness.access."""
from __future__ import annotations

from likeness.access.reach import User, reach_of


def user_roles(user: User) -> frozenset[str]:
    """The roles a user holds anywhere (page navigation and role panels; never a permission by itself)."""
    return reach_of(user).roles
