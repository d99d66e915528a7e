"""The platform's public trust material, for anyone who checks its files outside the platform: the anchors (root
and intermediate), the certificate revocation list and the timestamp authority's certificate. Public by nature,
so no sign-in; nothing here is secret."""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from likeness.signing import pki

PEM = "application/x-pem-file"


def _serve(read: Callable[[], bytes], *, filename: str, max_age: int) -> Callable[[HttpRequest], HttpResponse]:
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        try:
            body = read()
        except pki.PkiError:
            return HttpResponse("The platform has no CA yet (python manage.py pki_init).\n", status=404,
                                content_type="text/plain; charset=utf-8")
        response = HttpResponse(body, content_type=PEM)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        response["Cache-Control"] = f"public, max-age={max_age}"
        return response

    return view


def _with_ca(read: Callable[[], bytes]) -> Callable[[], bytes]:
    def guarded() -> bytes:
        if not pki.ca_exists():
            raise pki.PkiError("no CA")
        return read()

    return guarded


routes = [
    path("trust/anchors.pem", _serve(_with_ca(pki.trust_anchors_pem), filename="likeness-anchors.pem", max_age=86400),
         name="trust_anchors"),
    # Short-lived in caches: a revocation must reach verifiers within the hour.
    path("trust/crl.pem", _serve(_with_ca(pki.crl_pem), filename="likeness-crl.pem", max_age=3600), name="trust_crl"),
    path("trust/tsa.pem", _serve(_with_ca(lambda: pki.cert_pem(pki.tsa_identity().certificate())),
                                 filename="likeness-tsa.pem", max_age=86400), name="trust_tsa"),
]
