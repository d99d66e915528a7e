"""Forms of the consent pages: the grant form (every field the consent services take), the submission with
the signed contract, and revocation. The grant form is built from the ConsentGrant model and runs the consent
app's own scope rules, so people see inline what the services would refuse; the services stay the authority and
their ValidationErrors are folded back in with `add_service_errors`.
"""
from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst

from likeness.common import vocabulary as vocab
from likeness.common.validators import CodeListValidator
from likeness.consent.models import ConsentGrant
from likeness.consent.selectors import CONFIDENTIAL_FIELDS, DIFF_FIELDS
from likeness.consent.validation import scope_errors
from likeness.productions.models import Production
from likeness.web.forms import model_choices

# Words people use for the codes (the codes themselves stay in the data and the API).
CODE_WORDS = {
    "training": "Training a model on past footage",
    "de_aging": "De-aging",
    "aging_up": "Aging up",
    "realtime_preview": "Real-time on-set preview",
    "digital_replica": "Digital replica (footage the performer did not perform)",
    "synthetic_performer": "Synthetic performer built from recognisable features",
    "third_party_training": "Licensing performances to third parties for AI training",
    "ebdr": "EBDR: employment-based digital replica",
    "icdr": "ICDR: independently created digital replica",
    "digital_alteration": "Digital alteration of recorded footage",
    "home_video": "Home video",
    "trailer_promo": "Trailers and promotion",
    "on_set_monitor": "On-set monitor (preview only, never released)",
    "continues": "Consent continues after death",
    "limited": "Consent ends with the performer's lifetime",
    "estate_only": "After death only with the estate's own consent",
}


def code_label(code: str) -> str:
    return CODE_WORDS.get(code, code.replace("_", " ").capitalize())


def _choices(values: Iterable[StrEnum]) -> list[tuple[str, str]]:
    return [(v.value, code_label(v.value)) for v in values]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class TerritoriesField(forms.CharField):
    """Territory codes typed as text ('WORLD' or ISO countries, separated by spaces or commas): a checkbox
    per country would be 250 boxes. Which codes are known is the model field's validator's to say (pass its
    `validators`), so the form and the service refuse the same codes in the same words."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            value = " ".join(value)
        text = super().to_python(value) or ""
        codes = [c.strip().upper() for c in text.replace(",", " ").split() if c.strip()]
        return list(dict.fromkeys(codes))

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def prepare_value(self, value: Any) -> Any:
        return " ".join(value) if isinstance(value, list | tuple) else value


# Sections of the form, in order: (legend, explanation, field names). The template renders one fieldset each.
FIELDSETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("What the consent covers", "Every dimension the gate matches a job against. Anything not ticked is not "
     "consented to.", ("uses", "productions", "replica_types", "media", "territories")),
    ("Depicted ages and term", "Leave both ages empty for no age limit; leave the end date empty for no end.",
     ("depicted_age_min", "depicted_age_max", "term_start", "term_end")),
    ("Limits", "Content the performer's likeness must never be used in.",
     ("prohibited_content", "exclusive", "destroy_models_on_revocation")),
    ("Description of the intended use", "The agreements and statutes ask for a reasonably specific description, "
     "given to the performer before they consent.", ("use_description", "description_given_at")),
    ("Representation and formalities", "What the agreements and laws ask of the consent itself.",
     ("represented_by_counsel", "union_agreement_covers_replicas", "separately_signed", "notice_given_at",
      "engaged_at", "biometric_consent_explicit")),
    ("Compensation (confidential)", "Never shown to VFX staff.",
     ("compensation_terms", "compensation_days_estimate")),
    ("Real-time preview", "Live on-set preview with a replica is consented to and paid separately.",
     ("realtime_consent_separate", "realtime_pay_multiple")),
    ("After death and minors", "Posthumous use, the estate, and a guardian's consent for a minor.",
     ("posthumous_terms", "estate_consent", "estate_consent_by", "guardian_consent", "guardian_consent_by")),
)
MULTI_FIELDS = frozenset({"uses", "productions", "replica_types", "media", "prohibited_content"})


# The code lists a grant stores, by their validator's kind, as the enums that order their checkboxes.
CODE_LISTS: dict[str, type[StrEnum]] = {
    "use": vocab.Use, "medium": vocab.Medium, "replica_type": vocab.ReplicaType, "content_tag": vocab.ContentTag,
}


def _code_kind(db_field: models.Field) -> str | None:
    return next((v.kind for v in db_field.validators if isinstance(v, CodeListValidator)), None)


def _limits(db_field: models.Field) -> dict[str, Any]:
    """min_value / max_value from the model field's range validators, so the input's min and max attributes show
    the bounds the model enforces."""
    limits: dict[str, Any] = {}
    for validator in db_field.validators:
        if isinstance(validator, MinValueValidator):
            limits["min_value"] = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            limits["max_value"] = validator.limit_value
    return limits


def grant_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """The form field for one ConsentGrant field: its label, help, required-ness and validators are the model's;
    only how it is typed in is decided here (checkboxes with words for code lists, date pickers, radio buttons)."""
    kind = _code_kind(db_field)
    words = {"label": kwargs.pop("label", capfirst(db_field.verbose_name)),
             "help_text": kwargs.pop("help_text", db_field.help_text), "required": not db_field.blank}
    if kind == "territory":
        return TerritoriesField(validators=db_field.validators, **words)
    if kind in CODE_LISTS:
        # The model's validators still run on the chosen codes when the form validates the instance.
        return forms.MultipleChoiceField(choices=_choices(CODE_LISTS[kind]), widget=forms.CheckboxSelectMultiple,
                                         **words)
    if db_field.choices:
        return db_field.formfield(choices=[(value, code_label(value)) for value, _ in db_field.choices],
                                  widget=forms.RadioSelect, label=words["label"], help_text=words["help_text"],
                                  **kwargs)
    if isinstance(db_field, models.ManyToManyField):
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
    elif isinstance(db_field, models.DateTimeField):
        kwargs.setdefault("widget", DateTimeInput())
    elif isinstance(db_field, models.DateField):
        kwargs.setdefault("widget", DateInput())
    elif isinstance(db_field, models.IntegerField | models.DecimalField):
        kwargs = {**_limits(db_field), **kwargs}
    return db_field.formfield(label=words["label"], help_text=words["help_text"], **kwargs)


class GrantForm(forms.ModelForm):
    """Every scope field of a consent grant, as `grant_draft_create` / `grant_draft_update` / `grant_amend`
    take them (keyword arguments named like the model fields, `productions` as a list).

    The fields, their words and their checks come from ConsentGrant (a new scope field appears here by itself),
    and the cross-field rules from likeness.consent.validation, so the form refuses what the services refuse, in
    their words. It never saves: the consent services write grants (`scope()` gives what they take)."""

    class Meta:
        model = ConsentGrant
        fields = (*DIFF_FIELDS, "productions")
        formfield_callback = grant_formfield
        help_texts = {"territories": "WORLD, or ISO 3166 country codes separated by spaces (US GB FR)."}
        widgets = {"use_description": forms.Textarea(attrs={"rows": 4}),
                   "compensation_terms": forms.Textarea(attrs={"rows": 2})}

    # Fields (and so the error summary) in the order the page shows them.
    field_order = [name for _legend, _help, names in FIELDSETS for name in names]

    def __init__(self, *args: Any, confidential: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choices(self, "productions").queryset = Production.objects.order_by("title")
        if not confidential:
            for name in CONFIDENTIAL_FIELDS:
                self.fields.pop(name, None)
        for name, field in self.fields.items():
            # Every input points at its help and its (possibly empty) error slot, so a screen reader reads the
            # error the inline check puts there.
            field.widget.attrs["aria-describedby"] = f"id_{name}-help id_{name}-error"

    @classmethod
    def initial_from(cls, grant: ConsentGrant) -> dict[str, Any]:
        data = {name: getattr(grant, name) for name in cls.base_fields if name != "productions"}
        for name in ("description_given_at", "notice_given_at", "engaged_at"):
            if data[name] is not None:
                data[name] = timezone.localtime(data[name]).replace(tzinfo=None)
        data["productions"] = list(grant.productions.values_list("pk", flat=True))
        return data

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        productions = None if "productions" in self.errors else data.get("productions")
        for name, messages in scope_errors(data, productions).items():
            # A field already refused keeps its own message: a cross-field one on top would only repeat it.
            if name in self.errors:
                continue
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        return data

    def save(self, commit: bool = True) -> ConsentGrant:
        raise TypeError("GrantForm never saves: call the consent services with form.scope()")

    def scope(self) -> tuple[list[Production], dict[str, Any]]:
        """(productions, the other fields) as the services take them."""
        data = dict(self.cleaned_data)
        return list(data.pop("productions")), data

    def flag_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Fold a service's ValidationError into the form: field errors beside their field, the rest on top."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            for message in messages:
                form.add_error(name if name in form.fields else None,
                               message if name in form.fields or name == "__all__" else f"{name}: {message}")
    else:
        for message in exc.messages:
            form.add_error(None, message)


class SubmitForm(forms.Form):
    document = forms.FileField(label="Signed contract (PDF)", help_text="The contract as signed, at most 20 MB.",
                               widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}))
    signed_on = forms.DateField(label="Signed on", required=False, widget=DateInput(),
                                help_text="The date on the signatures (default: today).")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"id_{name}-help id_{name}-error"


class RevokeForm(forms.Form):
    reason = forms.CharField(label="Reason for revocation", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Recorded in the audit trail and on every affected job, model and output.")
    confirm = forms.BooleanField(label="I understand the jobs and models listed above are stopped and quarantined "
                                       "now, and this cannot be undone",
                                 error_messages={"required": "tick to confirm the revocation"})

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"id_{name}-help id_{name}-error"

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("say why consent is revoked")
        return reason


def flag_invalid(form: forms.BaseForm) -> None:
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["aria-invalid"] = "true"
