"""Registering reference footage of a performer: what the page asks for. The service hashes the file (SHA-256
on the server, never asked of the user), checks it is a video by its content and within the limits, and that
the age agrees with the date of birth; its refusals are shown beside the fields."""
from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from likeness.access.scope import performers_taking_reference_material
from likeness.people.models import Performer, RightsBasis
from likeness.web.forms import model_choices
from likeness.web.forms.audit import AccessibleForm


class ReferenceMaterialForm(AccessibleForm):
    performer: forms.ModelChoiceField[Performer] = forms.ModelChoiceField(queryset=None, empty_label="Choose a performer",
                                       help_text="Only performers whose footage you may register are listed.")
    title = forms.CharField(max_length=300, help_text="The film, episode or session the footage comes from.")
    year = forms.IntegerField(min_value=1880, max_value=date.today().year, help_text="When it was filmed.")
    performer_age = forms.IntegerField(label="The performer's age in it", min_value=0, max_value=130,
                                       help_text="Checked against the date of birth (one year of slack).")
    rights_basis = forms.ChoiceField(choices=RightsBasis.choices, label="Rights basis",
                                     help_text="Why the platform may use this footage.")
    file = forms.FileField(label="Footage", help_text=(
        f"A video (MP4, MOV, Matroska, AVI), at most {settings.REFERENCE_UPLOAD_MAX_BYTES / 1e9:.0f} GB. The "
        "platform computes its SHA-256 as it arrives and checks the file by its content."))

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choices(self, "performer").queryset = performers_taking_reference_material(user).order_by("legal_name")
        self.fields["file"].widget.attrs["accept"] = "video/*"
