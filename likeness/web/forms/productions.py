"""Forms of the production pages: a production's terms as studio legal sets them, and the labour-action flag.

They check shape (a title; known codes, with the model fields' own validators); production_create /
production_update stay the authority, and their ValidationErrors are folded back in beside the fields
(likeness.web.forms.consent.add_service_errors)."""
from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet

from likeness.common import vocabulary as vocab
from likeness.organisations.models import Organisation
from likeness.policy.regimes import SELECTABLE_PACKS
from likeness.productions.models import Production
from likeness.web.forms import model_choices
from likeness.web.forms.consent import TerritoriesField, code_label

# The agreements by the names producers and lawyers use for them (the codes stay in the data and the API).
AGREEMENT_WORDS: dict[str, str] = {
    vocab.Agreement.NONE: "No union agreement",
    vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2023: "SAG-AFTRA TV/Theatrical 2023",
    vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026: "SAG-AFTRA TV/Theatrical 2026",
    vocab.Agreement.SAG_AFTRA_INTERACTIVE_2025: "SAG-AFTRA Interactive Media 2025",
    vocab.Agreement.SAG_AFTRA_COMMERCIALS_2025: "SAG-AFTRA Commercials 2025",
    vocab.Agreement.EQUITY_UK: "Equity (UK)",
}
PACK_WORDS = {"US-NOFAKES": "US NO FAKES Act (a bill, not law): licence terms of at most 10 years, 5 for minors"}
MULTI_FIELDS = frozenset({"release_media", "extra_rule_packs"})


def agreement_label(code: str) -> str:
    return AGREEMENT_WORDS.get(code, code)


def _model_validators(name: str) -> list[Any]:
    """The Production field's own validators: the codes the form refuses are the ones the model refuses."""
    field = Production._meta.get_field(name)
    assert isinstance(field, models.Field)  # a concrete column, not a relation
    return list(field.validators)


class PlacesField(TerritoriesField):
    """Jurisdictions typed as ISO 3166 codes: a country (GB) or a state or province (US-CA, US-NY); which are
    known is the model's validator's to say."""


def _described(form: forms.Form) -> None:
    for name, field in form.fields.items():
        field.widget.attrs["aria-describedby"] = f"id_{name}-help id_{name}-error"


class ProductionForm(forms.Form):
    """The fields of a production that its studio's legal sets (production_update's EDITABLE, plus the studio
    when it is created). The labour-action flag has its own form: it is set and cleared, never edited."""

    title = forms.CharField(label="Title", max_length=300, help_text="As the production is known in contracts.")
    studio = forms.ModelChoiceField(queryset=Organisation.objects.none(), label="Studio", empty_label=None,
                                    help_text="The studio that makes it (one where you are legal or an admin).")
    agreement = forms.ChoiceField(
        label="Union agreement", choices=[(a.value, AGREEMENT_WORDS[a]) for a in vocab.Agreement],
        help_text="The agreement that governs the performers' work on it: the gate applies its AI terms.")
    jurisdictions = PlacesField(
        label="Jurisdictions", required=False, validators=_model_validators("jurisdictions"),
        help_text="Where it is made, as ISO 3166 codes separated by spaces: US-CA US-NY GB. Their laws apply.")
    release_territories = TerritoriesField(
        label="Release territories", required=False, validators=_model_validators("release_territories"),
        help_text="Where it will be released: WORLD, or country codes such as US GB FR. An EU country brings in "
                  "the EU AI Act and GDPR.")
    release_media = forms.MultipleChoiceField(
        label="Release media", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(m.value, code_label(m.value)) for m in vocab.Medium], help_text="How it will be released.")
    extra_rule_packs = forms.MultipleChoiceField(
        label="Optional rule packs", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(p, PACK_WORDS.get(p, p)) for p in sorted(SELECTABLE_PACKS)],
        help_text="Rules that are off unless a production opts in, e.g. by contract.")

    def __init__(self, *args: Any, studios: QuerySet[Organisation] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if studios is None:  # editing: a production never moves to another studio
            del self.fields["studio"]
        else:
            model_choices(self, "studio").queryset = studios
        _described(self)

    @classmethod
    def initial_from(cls, production: Production) -> dict[str, Any]:
        return {name: getattr(production, name) for name in cls.base_fields if name != "studio"}

    def values(self) -> dict[str, Any]:
        """The cleaned fields as production_create / production_update take them."""
        data = dict(self.cleaned_data)
        data["title"] = data["title"].strip()
        return data


class LabourActionForm(forms.Form):
    active = forms.TypedChoiceField(choices=(("1", "Set"), ("0", "Clear")), coerce=lambda v: v == "1",
                                    widget=forms.HiddenInput)
    note = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": "say why the flag is set or cleared"},
                           help_text="Recorded in the audit trail, e.g. which union called the action and from when.")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _described(self)
