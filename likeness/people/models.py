from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from likeness.common.validators import CodeListValidator, validate_place
from likeness.organisations.models import Organisation


class Performer(models.Model):
    # Pseudonymous id: what leaves the platform (C2PA manifests, exports) instead of the legal name.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    legal_name = models.CharField(max_length=200)
    professional_name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField()
    date_of_death = models.DateField(null=True, blank=True)
    domicile = models.CharField(max_length=6, validators=[validate_place],
                                help_text="ISO 3166 country or subdivision, e.g. US-CA, GB, FR")
    union_memberships = models.JSONField(default=list, blank=True, validators=[CodeListValidator("union")])
    guardian_name = models.CharField(max_length=200, blank=True, help_text="Required while the performer is a minor")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_of_death__isnull=True) | models.Q(date_of_death__gte=models.F("date_of_birth")),
                name="performer_death_after_birth",
            )
        ]

    def __str__(self) -> str:
        return self.professional_name or self.legal_name


class RepresentationKind(models.TextChoices):
    AGENCY = "agency", "Agency"
    COUNSEL = "counsel", "Counsel"
    ESTATE = "estate", "Estate"
    GUARDIAN = "guardian", "Guardian"
    UNION = "union", "Union"


class Representation(models.Model):
    """An organisation that acts for a performer; its reps and legal staff manage that performer's consent."""

    performer = models.ForeignKey(Performer, on_delete=models.CASCADE, related_name="representations")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="representations")
    kind = models.CharField(max_length=20, choices=RepresentationKind.choices)
    since = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["performer", "organisation", "kind"], name="representation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_kind_display()}) for {self.performer}"


class RightsBasis(models.TextChoices):
    STUDIO_OWNED = "studio_owned", "Owned by the studio"
    LICENSED = "licensed", "Licensed from the rights holder"
    PERFORMER_SUPPLIED = "performer_supplied", "Supplied by the performer"
    CAPTURED_ON_SET = "captured_on_set", "Captured on set for this production"


class ReferenceMaterial(models.Model):
    """Footage of the performer a model may be trained on, with the performer's age when it was filmed."""

    performer = models.ForeignKey(Performer, on_delete=models.PROTECT, related_name="reference_materials")
    title = models.CharField(max_length=300)
    year = models.PositiveSmallIntegerField()
    performer_age = models.PositiveSmallIntegerField()
    rights_basis = models.CharField(max_length=30, choices=RightsBasis.choices)
    file = models.FileField(upload_to="reference/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["performer", "year", "title"]
        constraints = [models.UniqueConstraint(fields=["performer", "sha256"], name="reference_unique_per_performer")]

    def __str__(self) -> str:
        return f"{self.title} ({self.year}, age {self.performer_age})"
