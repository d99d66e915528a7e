"""The second factor on the pages: forms of binding acts carry an `otp_code` field (templates/web/_second_factor.html)
unless the session proved a code within the window; the services refuse the act without it either way."""
from __future__ import annotations

from django.http import HttpRequest

from likeness.accounts import second_factor


def state(request: HttpRequest) -> str:
    """'fresh' (no code needed now), 'ask' (show the code field) or 'enrol' (no authenticator yet)."""
    if second_factor.is_fresh(request.user):
        return "fresh"
    return "ask" if second_factor.confirmed_device(request.user) is not None else "enrol"


def prove(request: HttpRequest) -> str | None:
    """Check a posted code; a correct one is remembered for the window. Returns the problem, if any."""
    code = request.POST.get("otp_code", "").strip()
    if not code:
        return None
    problem = second_factor.code_problem(request.user, code)
    if problem:
        return problem[0].upper() + problem[1:] + "."
    second_factor.remember(request)
    return None
