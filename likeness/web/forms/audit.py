"""Forms of the auditor and output pages: file uploads (verify, registry lookup), registry search, output review
notes, audit log filters and the usage report's performer choice.

Every field is rendered by templates/web/audit/_field.html: a label tied to the input, help and errors tied to it
with aria-describedby, and aria-invalid on a field with errors, so screen readers announce what went wrong."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet

from likeness.common.uploads import check_upload_to_read
from likeness.people.models import Performer
from likeness.web.forms import model_choices

SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")


class AccessibleForm(forms.Form):
    """Ties help text and errors to their input (aria-describedby) and marks invalid inputs (aria-invalid)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}-help"

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            field, auto_id = self.fields[name], self[name].auto_id
            ids = [f"{auto_id}-error"] + ([f"{auto_id}-help"] if field.help_text else [])
            field.widget.attrs.update({"aria-invalid": "true", "aria-describedby": " ".join(ids)})


def _size_label(size: int) -> str:
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


class UploadForm(AccessibleForm):
    """Any file (a signed output, a copy found online, a screen grab): it is only read, never stored."""

    file = forms.FileField(
        label="File to check",
        help_text="An image or video. It is read to check its Content Credentials and look it up, then discarded.",
        error_messages={"required": "Choose a file to check.", "empty": "The file is empty: there is nothing to check."},
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        limit = settings.OUTPUT_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(f"The file is {_size_label(upload.size)}; the limit is {_size_label(limit)}.")
        check_upload_to_read(upload)  # the API's check: a decompression bomb is refused unread
        return upload


class Sha256SearchForm(AccessibleForm):
    sha256 = forms.CharField(
        label="SHA-256", required=False, max_length=80,
        help_text="The file's SHA-256 as 64 hexadecimal characters (sha256sum FILE). The signed file's hash and the "
                  "unsigned render's are both found.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 70}),
    )

    def clean_sha256(self) -> str:
        value = self.cleaned_data["sha256"].strip().lower()
        if value and not SHA256_RE.match(value):
            raise forms.ValidationError("A SHA-256 is exactly 64 hexadecimal characters (0-9, a-f).")
        return value


class ReviewForm(AccessibleForm):
    """Approve or decline an output. The note is not required here on purpose: the service enforces it, and its
    refusal is shown, so the rule lives in one place (the browser's `required` attribute is only a hint)."""

    VERDICTS = (("approve", "Approve for release"), ("decline", "Decline"))

    note = forms.CharField(
        label="Note for the record", required=False, max_length=4000,
        help_text="Required: say what was reviewed and with whom. The note is kept in the audit trail.",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "required": True}),
    )
    verdict = forms.ChoiceField(choices=VERDICTS, widget=forms.HiddenInput,
                                error_messages={"required": "Choose approve or decline."})
    # The SHA-256 of the file the page's player showed: the service refuses an approval of another file.
    watched_sha256 = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class AuditLogFilterForm(AccessibleForm):
    action = forms.CharField(label="Action", required=False, max_length=80,
                             help_text="Exact action name, e.g. output.approved.")
    object_type = forms.CharField(label="Object type", required=False, max_length=80,
                                  help_text="e.g. provenance.output, consent.consentgrant, jobs.job.")
    object_id = forms.CharField(label="Object id", required=False, max_length=64)
    actor = forms.CharField(label="Actor", required=False, max_length=150, help_text="Username, exact.")
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                help_text="First day included (UTC).")
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text="Last day included (UTC).")

    def __init__(self, *args: Any, actions: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if actions:
            # A datalist, not a select: the known actions are suggested, any exact name still works.
            self.fields["action"].widget.attrs["list"] = "audit-actions"
        self.actions = actions or []

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            # Tied to the end date (a field), so the message sits next to an input and is announced with it.
            self.add_error("date_to", f"The end date ({end:%Y-%m-%d}) is before the start date ({start:%Y-%m-%d}): "
                                      "swap them or widen the range.")
        return data

    def range_bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """[start of date_from, start of the day after date_to) in UTC, so the last day is included whole."""
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        utc = dt.timezone.utc  # noqa: UP017 - explicit, matches Django's stored UTC
        lower = dt.datetime.combine(start, dt.time.min, tzinfo=utc) if start else None
        upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=utc) if end else None
        return lower, upper


class UsageForm(AccessibleForm):
    performer = forms.ModelChoiceField(queryset=Performer.objects.none(), label="Performer",
                                       empty_label="Choose a performer",
                                       help_text="Auditors see every performer; reps and legal, those they represent.",
                                       error_messages={"required": "Choose a performer.",
                                                       "invalid_choice": "Choose one of the performers listed."})

    def __init__(self, *args: Any, performers: QuerySet[Performer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choices(self, "performer").queryset = performers.order_by("legal_name")
