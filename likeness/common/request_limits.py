"""Request bodies, bounded per route before anything reads them.

Without this, any POST could carry gigabytes: Django streams a multipart body into temp files before a view
can check who is asking or how big the file is. Each upload route has the limit of the file it takes (a signed
contract is small, a plate is large); every other route gets LIKENESS_REQUEST_BODY_MAX_BYTES. A body is refused
unread when:
- its Content-Length is over the route's limit (413, naming the field and the setting);
- it has no Content-Length (chunked): 411, since its size cannot be known before reading it;
- it is an upload from someone not signed in to a page (403): the pages that take files all need a session.
Under WSGI, Django reads no more than the Content-Length; the stream is still capped at the route's limit so
nothing (another middleware, a server that passes chunked bodies through) can read past it.

Slow bodies are the reverse proxy's to cut off (client_body_timeout, request buffering): see docs/deploy.md.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from likeness.common.uploads import UploadNotStored

# Room for the multipart boundaries and the other fields sent beside the file.
MULTIPART_OVERHEAD = 1024 * 1024


@dataclass(frozen=True)
class UploadRoute:
    pattern: re.Pattern[str]
    setting: str  # the settings attribute with the file's limit in bytes
    env: str  # the environment variable that sets it (named in refusals, so an operator knows what to change)
    field: str  # the form and API field the file travels in

    @property
    def limit(self) -> int:
        return int(getattr(settings, self.setting)) + MULTIPART_OVERHEAD


def _route(regex: str, setting: str, env: str, field: str) -> UploadRoute:
    return UploadRoute(re.compile(regex), setting, env, field)


UPLOAD_ROUTES = (
    _route(r"^/api/v1/grants/[^/]+/submit/$", "CONSENT_DOCUMENT_MAX_BYTES", "LIKENESS_CONSENT_DOCUMENT_MAX_BYTES",
           "document"),
    _route(r"^/grants/\d+/submit/$", "CONSENT_DOCUMENT_MAX_BYTES", "LIKENESS_CONSENT_DOCUMENT_MAX_BYTES", "document"),
    _route(r"^/api/v1/reference-materials/$", "REFERENCE_UPLOAD_MAX_BYTES", "LIKENESS_REFERENCE_UPLOAD_MAX_BYTES",
           "file"),
    _route(r"^/api/v1/jobs/aging/$", "PLATE_UPLOAD_MAX_BYTES", "LIKENESS_PLATE_UPLOAD_MAX_BYTES", "plate"),
    _route(r"^/jobs/new/aging/$", "PLATE_UPLOAD_MAX_BYTES", "LIKENESS_PLATE_UPLOAD_MAX_BYTES", "plate"),
    _route(r"^/api/v1/provenance/(verify|outputs/lookup)/$", "OUTPUT_UPLOAD_MAX_BYTES",
           "LIKENESS_VERIFY_UPLOAD_MAX_BYTES", "file"),
    _route(r"^/(verify|outputs)/$", "OUTPUT_UPLOAD_MAX_BYTES", "LIKENESS_VERIFY_UPLOAD_MAX_BYTES", "file"),
)


def upload_route(path: str) -> UploadRoute | None:
    return next((route for route in UPLOAD_ROUTES if route.pattern.match(path)), None)


def body_limit(path: str) -> tuple[int, str, str | None]:
    """(limit in bytes, the setting that sets it, the field the file travels in) for a request path."""
    route = upload_route(path)
    if route is not None:
        return route.limit, route.env, route.field
    return int(settings.REQUEST_BODY_MAX_BYTES), "LIKENESS_REQUEST_BODY_MAX_BYTES", None


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


class RequestBodyTooLarge(RequestDataTooBig):
    """More of the body was read than the route allows. A RequestDataTooBig, so Django answers 400 wherever it
    surfaces; the API and this middleware answer 413 with the field named."""

    def __init__(self, message: str, *, field: str | None):
        super().__init__(message)
        self.field, self.message = field, message


class CappedStream:
    """A request stream that raises RequestBodyTooLarge past `limit` bytes instead of reading on."""

    def __init__(self, stream: Any, limit: int, message: str, field: str | None):
        self._stream, self._left, self._message, self._field = stream, limit, message, field

    def _take(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            raise RequestBodyTooLarge(self._message, field=self._field)
        return data

    def read(self, size: int | None = -1) -> bytes:
        # One byte past the limit is asked for, so a body of exactly the limit is not refused.
        if size is None or size < 0:
            return self._take(self._stream.read(self._left + 1))
        return self._take(self._stream.read(min(size, self._left + 1)))

    def readline(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._take(self._stream.readline(self._left + 1))
        return self._take(self._stream.readline(min(size, self._left + 1)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def refusal(request: HttpRequest, status: int, message: str, field: str | None = None) -> HttpResponse:
    """The API answers JSON (the field named, as every 400 there does); pages answer with the error page."""
    if request.path_info.startswith("/api/"):
        body: dict[str, Any] = {"detail": message}
        if field:
            body[field] = [message]
        return JsonResponse(body, status=status)
    titles = {411: "The upload needs a declared size", 413: "The upload is too large",
              403: "Sign in before uploading", 400: "The upload could not be stored"}
    # render_to_string without the request: this runs before the session and user are loaded.
    page = render_to_string("web/error.html", {"status": status, "title": titles.get(status, "Request refused"),
                                               "message": message})
    return HttpResponse(page, status=status)


class RequestLimitsMiddleware:
    """Refuses a body over its route's limit before anything reads it; see the module docstring."""

    BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit, env, field = body_limit(request.path_info)
        declared = request.META.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        what = f"the file ({field})" if field else "the request body"
        if not declared.strip():
            if chunked:
                return refusal(request, 411, f"send {what} with a Content-Length header: a body without one "
                                             f"(chunked) is not read; the limit here is {_size(limit)} ({env})", field)
        else:
            try:
                length = int(declared)
            except ValueError:
                return refusal(request, 400, f"the Content-Length header ({declared[:40]!r}) is not a number", field)
            if length < 0:
                return refusal(request, 400, "the Content-Length header is negative", field)
            if length > limit:
                return refusal(request, 413, f"{what} is too large: the request is {_size(length)}; this address "
                                             f"accepts at most {_size(limit)} ({limit} bytes, set by {env})", field)
        if request.method in self.BODY_METHODS:
            request._stream = CappedStream(request._stream, limit,
                                           f"{what} is too large: this address accepts at most {_size(limit)} "
                                           f"({limit} bytes, set by {env})", field)  # type: ignore[assignment]  # read as a stream
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        # Runs before the CSRF check, which would parse (and store) the body of anyone holding a CSRF cookie.
        route = upload_route(request.path_info)
        if (route is not None and not request.path_info.startswith("/api/") and request.method in self.BODY_METHODS
                and not request.user.is_authenticated):
            return refusal(request, 403, "sign in first: files are accepted only from signed-in users", route.field)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestBodyTooLarge):
            return refusal(request, 413, exception.message, exception.field)
        if isinstance(exception, UploadNotStored):
            return refusal(request, 400, exception.message, exception.field)
        return None
