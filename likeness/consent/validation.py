"""The cross-field rules of a consent grant's scope, written once.

The consent services are the authority (`_check_scope` runs these rules with the model's own field validation);
the API's grant serializer and the consent form run the same function, so people see the same words beside the
same field before anything is written. Pure: it reads plain values and names no model, so it runs as well on a
stored draft merged with a partial update as on a form's cleaned data.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def scope_errors(values: Mapping[str, Any], productions: Sequence[Any] | None) -> dict[str, list[str]]:
    """What is wrong with a grant's scope, as messages by field name: {} when nothing is.

    `values` holds scope fields by name. A rule runs only when every field it reads is there, so an edge may
    leave out a field it has already refused (a form's cleaned data lacks it) without a second, misleading
    message. `productions` is the productions the grant names, or None where they are not known (not checked).
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    def has(*names: str) -> bool:
        return all(name in values for name in names)

    if has("uses") and not values["uses"]:
        add("uses", "name at least one use (training, de_aging, ...)")
    if productions is not None and not productions:
        add("productions", "name at least one production: consent never covers unnamed projects")

    if has("depicted_age_min", "depicted_age_max"):
        lo, hi = values["depicted_age_min"], values["depicted_age_max"]
        if lo is not None and hi is not None and lo > hi:
            add("depicted_age_max", f"the depicted-age range is inverted ({lo} > {hi}): the oldest age must not be "
                                    "below the youngest")
        elif (lo is None) != (hi is None):
            # Beside the end that is missing: the box to fill (or the other to empty).
            add("depicted_age_max" if hi is None else "depicted_age_min",
                "give both ends of the depicted-age range, or neither")

    if has("term_start", "term_end"):
        start, end = values["term_start"], values["term_end"]
        if start is not None and end is not None and end < start:
            add("term_end", f"the term ends ({end}) before it starts ({start})")

    if has("use_description") and _blank(values["use_description"]):
        add("use_description", "describe the intended use")

    # A guardian's or an estate's consent is evidence only with the name of whoever gave it.
    if has("guardian_consent", "guardian_consent_by") and values["guardian_consent"] \
            and _blank(values["guardian_consent_by"]):
        add("guardian_consent_by", "name the guardian who consented")
    if has("estate_consent", "estate_consent_by") and values["estate_consent"] and _blank(values["estate_consent_by"]):
        add("estate_consent_by", "name who consented for the estate")
    return errors
