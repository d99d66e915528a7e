"""Forms VFX staff fill in to request jobs. They check what a form can check (types, choices, the plate's type
by its content, and its size); the services check the rest (the frame range among it, before the plate is
stored) and the gate decides. Choices are limited to what the user may see, so a hand-edited id is refused as
"not one of the choices" rather than leaking another studio's records."""
from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from likeness.access.scope import (
    models_usable_by,
    performers_usable_by,
    productions_of_studio,
    reference_materials_usable_by,
)
from likeness.common import uploads
from likeness.jobs.models import LikenessModel, ModelStatus, OutputCodec
from likeness.jobs.submission import MODEL_SIZES
from likeness.organisations.models import VFX_ROLES
from likeness.people.models import Performer, ReferenceMaterial
from likeness.productions.models import Production
from likeness.web.forms import model_choices


def studio_productions(user: AbstractBaseUser) -> QuerySet[Production]:
    """Productions of the studios where the user is VFX staff: the only ones they may request jobs for."""
    return productions_of_studio(user, VFX_ROLES).order_by("title")


class ReferenceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: ReferenceMaterial) -> str:
        return f"{obj.title} ({obj.year}; age {obj.performer_age})"


class LikenessModelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: LikenessModel) -> str:
        ages = f"ages {obj.age_range[0]:.0f}-{obj.age_range[1]:.0f}, " if len(obj.age_range) == 2 else ""
        when = f"{obj.ready_at:%Y-%m-%d}" if obj.ready_at else f"{obj.created_at:%Y-%m-%d}"
        return f"{obj.size} model, {ages}ready {when} ({str(obj.pk)[:8]})"


class JobRequestForm(forms.Form):
    """Performer and production, shared by both requests. `performer_id` is the performer the dependent choices
    (reference material, models) are drawn from: the bound value, else the initial one (GET ?performer=)."""

    performer = forms.ModelChoiceField(queryset=Performer.objects.none(), empty_label="Choose a performer")
    production = forms.ModelChoiceField(queryset=Production.objects.none(), empty_label="Choose a production")

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        model_choices(self, "performer").queryset = performers_usable_by(user).order_by("legal_name")
        model_choices(self, "production").queryset = studio_productions(user)
        self.performer_obj = self._chosen_performer()
        self._describe()

    def _describe(self) -> None:
        """Tie each input to its help and error text (templates/web/jobs/_field.html renders those ids), and
        mark inputs with errors, so a screen reader announces what went wrong where."""
        errors = self._errors or {}  # type: ignore[attr-defined]  # not self.errors: that would validate the form now
        for name, field in self.fields.items():
            ids = ([f"id_{name}-help"] if field.help_text else []) + ([f"id_{name}-error"] if name in errors else [])
            field.widget.attrs.pop("aria-invalid", None)
            field.widget.attrs.pop("aria-describedby", None)
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            if name in errors:
                field.widget.attrs["aria-invalid"] = "true"

    def full_clean(self) -> None:
        super().full_clean()
        self._describe()

    def add_service_errors(self, exc: ValidationError) -> None:
        """Fold a service's ValidationError into the form: field errors beside their field, the rest on top."""
        items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
        for name, messages in items:
            for message in messages:
                known = name in self.fields
                self.add_error(name if known else None, message if known or name in (None, "__all__")
                               else f"{name.replace('_', ' ')}: {message}")
        self._describe()

    def _chosen_performer(self) -> Performer | None:
        raw = (self.data.get(self.add_prefix("performer")) if self.is_bound else None) or self.initial.get("performer")
        if raw in (None, ""):
            return None
        try:
            choices = model_choices(self, "performer").queryset
            return choices.filter(pk=getattr(raw, "pk", raw)).first() if choices is not None else None
        except (TypeError, ValueError):
            return None


class TrainingJobForm(JobRequestForm):
    reference_materials = ReferenceChoiceField(
        queryset=ReferenceMaterial.objects.none(), widget=forms.CheckboxSelectMultiple,
        label="Reference material", help_text="The performer's earlier footage the model learns from.",
        error_messages={"required": "Choose at least one piece of reference material."})
    size = forms.ChoiceField(choices=[(s, s) for s in MODEL_SIZES], initial="preview", label="Model size",
                             help_text="tiny trains in minutes (tests, rehearsal); final is for delivery.")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        refs = ReferenceMaterial.objects.none()
        if self.performer_obj is not None:
            refs = reference_materials_usable_by(self.user).filter(performer=self.performer_obj).order_by("year", "title")
        model_choices(self, "reference_materials").queryset = refs


class AgingJobForm(JobRequestForm):
    likeness_model = LikenessModelChoiceField(queryset=LikenessModel.objects.none(), label="Model",
                                              empty_label="Choose a ready model",
                                              help_text="Ready models of this performer.")
    plate = forms.FileField(label="Plate", widget=forms.ClearableFileInput(attrs={"accept": ".mp4,.mov,video/mp4,"
                                                                                             "video/quicktime"}),
                            help_text="The filmed shot: an MP4 or MOV video.")
    frame_start = forms.IntegerField(min_value=0, initial=0, label="First frame",
                                     help_text="Frames are numbered from 0.")
    frame_end = forms.IntegerField(min_value=1, required=False, label="End frame (exclusive)",
                                   help_text="Leave empty to age to the end of the plate.")
    target_age = forms.FloatField(min_value=0, max_value=120, label="Target age",
                                  help_text="The age the performer should appear on screen.")
    use_description = forms.CharField(required=False, max_length=4000, label="Planned use", widget=forms.Textarea(
        attrs={"rows": 2}), help_text="What the shot will be used as, in the words the performer was given (needed "
                                      "for advertising under the Commercials agreement).")
    codec = forms.ChoiceField(choices=OutputCodec.choices, initial=OutputCodec.H264, required=False, label="Output",
                              help_text="The review copy plays anywhere; lossless keeps every pixel of the plate "
                                        "outside the face, for delivery (many times larger).")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        limit = settings.PLATE_UPLOAD_MAX_BYTES
        self.fields["plate"].help_text = f"The filmed shot: an MP4 or MOV video, at most {_size(limit)}."
        models = LikenessModel.objects.none()
        if self.performer_obj is not None:
            models = models_usable_by(self.user).filter(performer=self.performer_obj, status=ModelStatus.READY)
        model_choices(self, "likeness_model").queryset = models

    def clean_plate(self) -> Any:
        plate = self.cleaned_data["plate"]
        # By content, as the API and the service decide: a text file named shot.mp4 is no video.
        if uploads.sniff_stream(plate) not in uploads.VIDEOS:
            raise forms.ValidationError(f"{plate.name} is not an MP4 or MOV video file: its content is not a readable "
                                        "video (the content decides, not the file name).")
        if plate.size > settings.PLATE_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(f"The file is {_size(plate.size)}; the limit is "
                                        f"{_size(settings.PLATE_UPLOAD_MAX_BYTES)}.")
        return plate


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
