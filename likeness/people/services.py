from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from likeness.access.predicates import manages_performer, may_add_performer, may_add_reference_material, require
from likeness.audit.services import audit_record
from likeness.common import uploads
from likeness.common.hashing import sha256_stream
from likeness.organisations.models import Organisation
from likeness.people.models import Performer, ReferenceMaterial, Representation

PERFORMER_FIELDS = ("legal_name", "professional_name", "date_of_birth", "date_of_death", "domicile",
                    "union_memberships", "guardian_name")


def _validate_performer(performer: Performer) -> None:
    performer.full_clean()
    today = dt.date.today()
    if performer.date_of_birth > today:
        raise ValidationError({"date_of_birth": "is in the future"})
    if performer.date_of_death and performer.date_of_death > today:
        raise ValidationError({"date_of_death": "is in the future"})


@transaction.atomic
def performer_create(*, by: User | None, representing: Organisation | None = None,
                     representation_kind: str = "agency", **fields: Any) -> Performer:
    unknown = set(fields) - set(PERFORMER_FIELDS)
    if unknown:
        raise ValidationError({k: "unknown field" for k in unknown})
    if by is not None:
        require(representing is not None and may_add_performer(by, representing),
                "you may add performers only for an organisation where you are a talent rep or legal")
    performer = Performer(**fields)
    _validate_performer(performer)
    performer.save()
    audit_record(actor=by, action="performer.created", obj=performer,
                 data={f: getattr(performer, f) for f in PERFORMER_FIELDS})
    if representing is not None:
        _representation_add(performer=performer, organisation=representing, kind=representation_kind, by=by)
    return performer


@transaction.atomic
def performer_update(*, performer: Performer, by: User | None, **changes: Any) -> Performer:
    unknown = set(changes) - set(PERFORMER_FIELDS)
    if unknown:
        raise ValidationError({k: "unknown field" for k in unknown})
    if by is not None:
        require(manages_performer(by, performer), "only the performer's reps and legal may change the record")
    before = {f: getattr(performer, f) for f in changes}
    for name, value in changes.items():
        setattr(performer, name, value)
    _validate_performer(performer)
    performer.save()
    audit_record(actor=by, action="performer.updated", obj=performer,
                 data={"before": before, "after": {f: getattr(performer, f) for f in changes}})
    return performer


@transaction.atomic
def representation_create(*, performer: Performer, organisation: Organisation, kind: str,
                          by: User | None, since: dt.date | None = None) -> Representation:
    """A new representative: added by those who already act for the performer."""
    if by is not None:
        require(manages_performer(by, performer),
                "only the performer's current reps and legal may add a representative")
    return _representation_add(performer=performer, organisation=organisation, kind=kind, by=by, since=since)


def _representation_add(*, performer: Performer, organisation: Organisation, kind: str,
                        by: User | None, since: dt.date | None = None) -> Representation:
    representation = Representation(performer=performer, organisation=organisation, kind=kind, since=since)
    representation.full_clean()
    representation.save()
    audit_record(actor=by, action="representation.created", obj=representation,
                 data={"performer": performer.pk, "organisation": organisation.pk, "kind": kind})
    return representation


@transaction.atomic
def reference_material_create(*, performer: Performer, title: str, year: int, performer_age: int,
                              rights_basis: str, by: User, file: BinaryIO | None = None,
                              sha256: str = "") -> ReferenceMaterial:
    """Register footage of a performer. With a file, its SHA-256 is computed here (a given one must match)."""
    require(may_add_reference_material(by, performer),
            "only the performer's reps, or legal and VFX supervisors of a studio an active consent ties them to, "
            "may register reference material")
    errors: dict[str, str] = {}
    suffix = ""
    if file is not None:
        # Footage the engine will decode: a video by its content, within the size and pixel limits, checked from
        # its headers before anything decodes a frame.
        size = file.seek(0, 2)
        if size > settings.REFERENCE_UPLOAD_MAX_BYTES:
            raise ValidationError({"file": f"the file is {size / 1e9:.2f} GB; the limit is "
                                           f"{settings.REFERENCE_UPLOAD_MAX_BYTES / 1e9:.2f} GB"})
        kind = uploads.require_type(file, field="file", allowed=uploads.VIDEOS)
        suffix = uploads.SUFFIXES[kind]
        uploads.require_pixels_within_caps(file, field="file", kind=kind,
                                           unreadable="the video's headers cannot be read (corrupt or truncated?)")
        computed = sha256_stream(file)
        if sha256 and sha256.lower() != computed:
            errors["sha256"] = f"does not match the uploaded file (file hashes to {computed})"
        sha256 = computed
    if not sha256:
        errors["sha256"] = "give the file or its SHA-256"
    elif len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256.lower()):
        errors["sha256"] = "must be 64 hexadecimal characters"
    elif ReferenceMaterial.objects.filter(performer=performer, sha256=sha256.lower()).exists():
        errors["sha256"] = "this footage is already registered for the performer"  # a 400, not the constraint's 500
    # The age in the footage must agree with the date of birth (one year of slack: birthdays in the year).
    born = performer.date_of_birth.year
    if not year or year < born:
        errors["year"] = f"is before the performer was born ({born})"
    elif abs((year - born) - performer_age) > 1:
        errors["performer_age"] = f"a performer born in {born} was {year - born - 1}-{year - born} in {year}"
    if errors:
        raise ValidationError(errors)
    material = ReferenceMaterial(performer=performer, title=title, year=year, performer_age=performer_age,
                                 rights_basis=rights_basis, sha256=sha256.lower(), created_by=by)
    if file is not None:
        # The stored suffix is the content's: the engine picks its reader by suffix.
        stem = Path(str(getattr(file, "name", "") or "reference")).stem or "reference"
        file.seek(0)
        uploads.save_to_field(material.file, f"{stem}{suffix}", File(file, name=f"{stem}{suffix}"), field="file")
    try:
        material.full_clean()
        material.save()
        audit_record(actor=by, action="reference_material.created", obj=material,
                     data={"performer": performer.pk, "title": title, "year": year, "performer_age": performer_age,
                           "rights_basis": rights_basis, "sha256": material.sha256})
    except Exception:
        if material.file:
            material.file.delete(save=False)  # nothing half-written: no footage file without its record
        raise
    return material
