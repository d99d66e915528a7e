"""What the OpenAPI schema says about failures. Every operation documents the errors the API answers with, in
the shapes likeness.api.errors produces, so clients (and the schema-driven fuzz tests) can rely on them:
400 field errors, 401 not signed in, 403 refused (with `code: second_factor_required` on binding acts), 404 not
visible to you, 409 a record whose state forbids the change, 413 body too large, 415 a body of a media type the
route does not take, 429 throttled or locked out."""
from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "field name (or non_field_errors) -> what is wrong with it",
    "additionalProperties": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"},
                                       {"type": "string"}]},
}
ANSWERS = {
    "400": ("The request is malformed or a field is invalid: each field names what is wrong.", "FieldErrors"),
    "401": ("Not signed in, or the token has expired or been revoked.", "Error"),
    "403": ("Signed in, but your roles or reach do not allow this (or a second factor is needed).", "Error"),
    "404": ("No such record that you may see.", "Error"),
    "409": ("The record's state forbids this change (e.g. an immutable record).", "Error"),
    "413": ("The request body is larger than this route accepts.", "Error"),
    "415": ("The request body's media type is not one this route accepts (see its request body).", "Error"),
    "429": ("Too many requests, or sign-in locked out: see Retry-After.", "Error"),
}
METHODS = {"get", "post", "put", "patch", "delete"}


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, (description, component) in ANSWERS.items():
                if status == "401" and path.endswith("/auth/token/"):  # the one route that signs people in
                    continue
                if status == "404" and "{" not in path:  # no record named in the path
                    continue
                if status in ("413", "415") and method == "get":  # no body to refuse
                    continue
                responses.setdefault(status, {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
                })
    return result
