"""What a locked-out sign-in gets (django-axes calls this): 429 with when to try again, as JSON on the API and
as a page elsewhere."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    message = (f"Too many failed sign-ins for this account from this address: sign-in is locked for {minutes} "
               "minutes. Ask an organisation admin or an operator if you have lost your password.")
    headers = {"Retry-After": str(minutes * 60)}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429, headers=headers)
    response = render(request, "registration/locked_out.html", {"message": message, "minutes": minutes},
                      status=429)
    response["Retry-After"] = headers["Retry-After"]
    return response
