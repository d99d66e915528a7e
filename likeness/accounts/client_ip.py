"""The client's address as the login lockout sees it: REMOTE_ADDR, or behind LIKENESS_PROXY_COUNT trusted proxies
the address the outermost of them appended to X-Forwarded-For (anything left of it the client could forge)."""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    proxies = settings.PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")
