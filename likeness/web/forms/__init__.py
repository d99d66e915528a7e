"""Django forms for the pages: field validation and accessible rendering; the services decide the rest."""
from __future__ import annotations

from typing import Any

from django import forms


def model_choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """A form's model-choice field by name, typed, for narrowing its queryset to what the user may pick."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is a {type(field).__name__}, not a model choice field")
    return field


def choices(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is a {type(field).__name__}, not a choice field")
    return field
