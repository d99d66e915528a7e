"""Errors as clear 400/403 answers: services raise Django's ValidationError and PermissionDenied, the gate
raises FactsError; all of them become field-level messages here."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from likeness.policy.facts import FactsError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, FactsError):
        exc = exceptions.ValidationError(detail=exc.errors)
    elif isinstance(exc, PermissionError):
        # Models refuse edits to immutable records with PermissionError: a conflict with the record's state.
        response = Response({"detail": str(exc)}, status=409)
        return response
    return drf_exception_handler(exc, context)
