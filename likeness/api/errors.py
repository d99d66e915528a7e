"""Errors as clear 400/403 answers: services raise Django's ValidationError and PermissionDenied, the gate
raises FactsError; all of them become field-level messages here. An upload refused while its body is read (too
large, or a full disk) names its field too."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from likeness.accounts.second_factor import SecondFactorRequired
from likeness.common.request_limits import RequestBodyTooLarge
from likeness.common.uploads import UploadNotStored
from likeness.policy.facts import FactsError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, RequestBodyTooLarge):
        return Response({"detail": exc.message, **({exc.field: [exc.message]} if exc.field else {})}, status=413)
    elif isinstance(exc, UploadNotStored):
        exc = exceptions.ValidationError(detail={exc.field: [exc.message]})
    elif isinstance(exc, FactsError):
        exc = exceptions.ValidationError(detail=exc.errors)
    elif isinstance(exc, SecondFactorRequired):
        # Clients can tell this refusal from a lack of rights: send `otp_code` (or enrol an authenticator).
        return Response({"detail": str(exc), "code": "second_factor_required", "enrolled": exc.enrolled},
                        status=403)
    elif isinstance(exc, PermissionError):
        # Models refuse edits to immutable records with PermissionError: a conflict with the record's state.
        response = Response({"detail": str(exc)}, status=409)
        return response
    return drf_exception_handler(exc, context)
