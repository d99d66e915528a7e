from __future__ import annotations

from django import forms
from django.conf import settings

from likeness.web.forms.audit import AccessibleForm


class TokenForm(AccessibleForm):
    name = forms.CharField(label="Token name", max_length=100,
                           help_text="What will use it, e.g. 'render farm script'. Shown here, never the secret.")
    expires_in_days = forms.IntegerField(
        label="Expires after (days)", min_value=1, max_value=settings.API_TOKEN_MAX_DAYS,
        initial=settings.API_TOKEN_DEFAULT_DAYS,
        help_text=f"Between 1 and {settings.API_TOKEN_MAX_DAYS} days.")


class AuthenticatorCodeForm(AccessibleForm):
    code = forms.RegexField(label="Code from the app", regex=r"^\s*\d{3}\s?\d{3}\s*$", max_length=8,
                            error_messages={"invalid": "type the 6 digits the app shows"},
                            help_text="The 6-digit code the app shows for this account.",
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
