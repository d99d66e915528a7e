"""Forms of the consent pages: the grant form (every field the consent services take), the submission with
the signed contract, and revocation. They check shape and the obvious cross-field mistakes so people see them
inline; the services stay the authority and their ValidationErrors are folded back in with `add_service_errors`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from likeness.common import vocabulary as vocab
from likeness.consent.models import ConsentGrant
from likeness.consent.selectors import CONFIDENTIAL_FIELDS
from likeness.productions.models import Production

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


def _checkboxes(values: Iterable[StrEnum], label: str, help_text: str, required: bool = False) -> forms.Field:
    return forms.MultipleChoiceField(choices=_choices(values), widget=forms.CheckboxSelectMultiple, label=label,
                                     help_text=help_text, required=required)


class TerritoriesField(forms.CharField):
    """Territory codes typed as text ('WORLD' or ISO countries, separated by spaces or commas): a checkbox
    per country would be 250 boxes."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            value = " ".join(value)
        text = super().to_python(value) or ""
        codes = [c.strip().upper() for c in text.replace(",", " ").split() if c.strip()]
        return list(dict.fromkeys(codes))

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        bad = vocab.unknown_codes("territory", value)
        if bad:
            raise ValidationError(f"unknown territory code(s): {', '.join(bad)}. Use WORLD or ISO 3166 country "
                                  "codes such as US, GB, FR")

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


class GrantForm(forms.Form):
    """Every scope field of a consent grant, as `grant_draft_create` / `grant_draft_update` / `grant_amend`
    take them (keyword arguments named like the model fields, `productions` as a list)."""

    uses = _checkboxes(vocab.Use, "Uses consented to", "Tick each use. Training builds the per-performer model; "
                       "de-aging and aging up change footage.", required=True)
    productions = forms.ModelMultipleChoiceField(
        queryset=Production.objects.order_by("title"), widget=forms.CheckboxSelectMultiple, label="Productions",
        help_text="Consent never covers unnamed projects: name each production.")
    replica_types = _checkboxes(vocab.ReplicaType, "Replica types", "Which kinds of digital replica are consented to.")
    media = _checkboxes(vocab.Medium, "Media", "Where the results may be released.")
    territories = TerritoriesField(label="Territories", required=False,
                                   help_text="WORLD, or ISO 3166 country codes separated by spaces (US GB FR).")
    depicted_age_min = forms.IntegerField(label="Youngest depicted age", required=False, min_value=0, max_value=120,
                                          help_text="The youngest age the performer may be shown at, in years.")
    depicted_age_max = forms.IntegerField(label="Oldest depicted age", required=False, min_value=0, max_value=120,
                                          help_text="The oldest age the performer may be shown at, in years.")
    term_start = forms.DateField(label="Term starts", widget=DateInput(), help_text="The first day consent applies.")
    term_end = forms.DateField(label="Term ends", required=False, widget=DateInput(),
                               help_text="The last day consent applies (empty: until revoked).")
    prohibited_content = _checkboxes(vocab.ContentTag, "Prohibited content",
                                     "The likeness must never appear in content of these kinds.")
    exclusive = forms.BooleanField(label="Exclusive", required=False,
                                   help_text="The performer grants these rights to no one else.")
    destroy_models_on_revocation = forms.BooleanField(
        label="Delete model weights when consent ends", required=False,
        help_text="Models trained under this consent are always quarantined when it ends; tick to delete their "
                  "weights too.")
    use_description = forms.CharField(
        label="Intended use", widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Reasonably specific: which scenes, what change, with which model (at least 12 words).")
    description_given_at = forms.DateTimeField(label="Description given to the performer on", required=False,
                                               widget=DateTimeInput())
    represented_by_counsel = forms.BooleanField(label="Represented by counsel or the union", required=False,
                                                help_text="The performer had a lawyer or union representative.")
    union_agreement_covers_replicas = forms.BooleanField(
        label="A union agreement covers digital replicas", required=False)
    separately_signed = forms.BooleanField(label="Signed separately from the employment contract", required=False)
    notice_given_at = forms.DateTimeField(label="Notice given on", required=False, widget=DateTimeInput(),
                                          help_text="When the performer was notified of the replica's use.")
    engaged_at = forms.DateTimeField(label="Performer engaged on", required=False, widget=DateTimeInput(),
                                     help_text="When the performer was engaged for the production.")
    biometric_consent_explicit = forms.BooleanField(label="Explicit consent to biometric processing", required=False,
                                                    help_text="Needed where GDPR or state biometric laws apply.")
    compensation_terms = forms.CharField(label="Compensation terms", required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    compensation_days_estimate = forms.DecimalField(
        label="Estimated days of work replaced", required=False, min_value=0, max_digits=6, decimal_places=1,
        help_text="Used for the compensation entry the union agreements ask for.")
    realtime_consent_separate = forms.BooleanField(label="Separate consent to real-time preview", required=False)
    realtime_pay_multiple = forms.DecimalField(label="Real-time preview pay multiple", required=False, min_value=0,
                                               max_digits=5, decimal_places=2, help_text="e.g. 1.50 for time and a half")
    posthumous_terms = forms.ChoiceField(label="After the performer's death", choices=_choices(vocab.PosthumousTerms),
                                         widget=forms.RadioSelect, initial=vocab.PosthumousTerms.CONTINUES.value)
    estate_consent = forms.BooleanField(label="The estate has consented", required=False)
    estate_consent_by = forms.CharField(label="Estate consent given by", required=False, max_length=200)
    guardian_consent = forms.BooleanField(label="A guardian has consented (minor)", required=False)
    guardian_consent_by = forms.CharField(label="Guardian", required=False, max_length=200)

    def __init__(self, *args: Any, confidential: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
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
        data = super().clean()
        lo, hi = data.get("depicted_age_min"), data.get("depicted_age_max")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("depicted_age_max", f"the depicted-age range is inverted ({lo} > {hi}): the oldest age "
                                               "must not be below the youngest")
        elif (lo is None) != (hi is None) and "depicted_age_min" not in self.errors and \
                "depicted_age_max" not in self.errors:
            self.add_error("depicted_age_max" if hi is None else "depicted_age_min",
                           "give both ends of the depicted-age range, or neither")
        start, end = data.get("term_start"), data.get("term_end")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            self.add_error("term_end", f"the term ends ({end}) before it starts ({start})")
        if data.get("guardian_consent") and not (data.get("guardian_consent_by") or "").strip():
            self.add_error("guardian_consent_by", "name the guardian who consented")
        if data.get("estate_consent") and not (data.get("estate_consent_by") or "").strip():
            self.add_error("estate_consent_by", "name who consented for the estate")
        return data

    def scope(self) -> tuple[list[Production], dict[str, Any]]:
        """(productions, the other fields) as the services take them."""
        data = dict(self.cleaned_data)
        productions = list(data.pop("productions"))
        for name in ("estate_consent_by", "guardian_consent_by", "compensation_terms", "use_description"):
            if name in data:
                data[name] = (data[name] or "").strip()
        return productions, data

    def flag_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
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


def flag_invalid(form: forms.Form) -> None:
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["aria-invalid"] = "true"
