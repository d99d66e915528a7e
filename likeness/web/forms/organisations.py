"""The form of the members page: add an existing account to the organisation with a role."""
from __future__ import annotations

from typing import Any

from django import forms

from likeness.web.forms import choices


class MemberAddForm(forms.Form):
    person = forms.CharField(label="Username or email", max_length=254,
                             help_text="The person's platform account. An operator creates accounts.")
    role = forms.ChoiceField(label="Role", choices=(),
                             help_text="Only the roles you may hand out in this organisation are listed.")

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        # The choices are exactly the roles may_assign_role allows here; membership_create checks again.
        choices(self, "role").choices = [("", "Choose a role"), *roles]
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"id_{name}-help id_{name}-error"
