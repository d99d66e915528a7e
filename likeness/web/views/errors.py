"""Errors as pages people understand: what happened, in words, and where to go next."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"status": status, "title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, "That request could not be understood",
                 str(exception) if exception and str(exception) else "Something in the request was malformed.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    detail = str(exception) if exception and str(exception) else "Your roles do not give you access to this page."
    return _page(request, 403, "You do not have access to this", detail)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The exception text can hold internals (a resolver dump); say it plainly instead.
    return _page(request, 404, "Not found",
                 "There is nothing at this address, or it is not visible to your organisation.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500, "Something went wrong on our side",
                 "The error was logged. Nothing you submitted was half-saved: try again, or tell your operator.")
