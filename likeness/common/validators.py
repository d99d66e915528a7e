"""Validators for the code lists stored in JSON fields (so an unknown code never reaches the gate)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from likeness.common import vocabulary as vocab

# What to type instead, for the kinds people type as text (the consent and production forms' code inputs).
HINTS = {
    "territory": "Use WORLD or ISO 3166 country codes such as US, GB, FR",
    "place": "Use ISO 3166 codes: a country such as GB or FR, or a state such as US-CA or US-NY",
}


def unknown_codes_message(kind: str, bad: list[str]) -> str:
    """The refusal of unknown codes, naming their kind (and, for typed kinds, what to type instead)."""
    message = f"unknown {kind.replace('_', ' ')} code(s): {', '.join(map(str, bad))}"
    return f"{message}. {HINTS[kind]}" if kind in HINTS else message


@deconstructible
class CodeListValidator:
    def __init__(self, kind: str, allow_empty: bool = True):
        self.kind = kind
        self.allow_empty = allow_empty

    def __call__(self, value: object) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError("must be a list of codes")
        if not value and not self.allow_empty:
            raise ValidationError("at least one code is required")
        if len(set(value)) != len(value):
            raise ValidationError("codes must not repeat")
        bad = vocab.unknown_codes(self.kind, value)
        if bad:
            raise ValidationError(unknown_codes_message(self.kind, bad))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodeListValidator) and (self.kind, self.allow_empty) == (other.kind, other.allow_empty)


def validate_place(value: str) -> None:
    if not vocab.is_place(value):
        raise ValidationError(f"unknown place '{value}': use an ISO 3166 country (FR) or subdivision (US-CA)")
