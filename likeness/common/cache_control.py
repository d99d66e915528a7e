"""Nothing the application answers may sit in a shared or on-disk cache: contracts, compensation, usage bundles
and signed outputs all come from the application (static files are answered earlier, by WhiteNoise, and stay
cacheable). A view that sets its own Cache-Control keeps it."""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivateRecordsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
