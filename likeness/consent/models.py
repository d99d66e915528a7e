"""Consent grants.

A grant is one version of a performer's consent. Versions of the same consent share a `family`; an amendment
is a new draft version that supersedes the active one when it is activated. Once a version leaves draft its
scope is frozen: `save()` refuses to change any scope field, and the admin shows it read-only.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from likeness.common import vocabulary as vocab
from likeness.common.transitions import StateMachine
from likeness.common.validators import CodeListValidator
from likeness.people.models import Performer
from likeness.productions.models import Production

# The oldest depicted age a grant may name, in years: the gate refuses requests beyond it too (policy.facts).
MAX_DEPICTED_AGE = 120


class GrantStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded by a later version"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


# A draft is submitted with its signed document and activated by the second party; an amendment's activation
# supersedes the version before it. Revoking the active version also ends its pending draft or submission.
GRANT_STATES = StateMachine("grant", states=GrantStatus.values, initial=[GrantStatus.DRAFT], moves={
    GrantStatus.DRAFT: [GrantStatus.AWAITING_APPROVAL, GrantStatus.REVOKED],
    GrantStatus.AWAITING_APPROVAL: [GrantStatus.ACTIVE, GrantStatus.REVOKED],
    GrantStatus.ACTIVE: [GrantStatus.SUPERSEDED, GrantStatus.REVOKED, GrantStatus.EXPIRED],
})


class ConsentGrant(models.Model):
    family = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by", editable=False)
    performer = models.ForeignKey(Performer, on_delete=models.PROTECT, related_name="consent_grants")
    status = models.CharField(max_length=20, choices=GrantStatus.choices, default=GrantStatus.DRAFT, editable=False)

    # Scope: every dimension the gate matches a request against. The names and help below are the ones the
    # consent form, the API schema and the admin show: one source for the words.
    uses = models.JSONField(
        "uses consented to", validators=[CodeListValidator("use", allow_empty=False)],
        help_text="Tick each use. Training builds the per-performer model; de-aging and aging up change footage.")
    productions = models.ManyToManyField(
        Production, related_name="consent_grants",
        help_text="Consent never covers unnamed projects: name each production.")
    depicted_age_min = models.PositiveSmallIntegerField(
        "youngest depicted age", null=True, blank=True, validators=[MaxValueValidator(MAX_DEPICTED_AGE)],
        help_text="The youngest age the performer may be shown at, in years.")
    depicted_age_max = models.PositiveSmallIntegerField(
        "oldest depicted age", null=True, blank=True, validators=[MaxValueValidator(MAX_DEPICTED_AGE)],
        help_text="The oldest age the performer may be shown at, in years.")
    media = models.JSONField(default=list, validators=[CodeListValidator("medium")],
                             help_text="Where the results may be released.")
    territories = models.JSONField(default=list, validators=[CodeListValidator("territory")],
                                   help_text="WORLD, or ISO 3166 country codes (US, GB, FR).")
    term_start = models.DateField("term starts", help_text="The first day consent applies.")
    term_end = models.DateField("term ends", null=True, blank=True,
                                help_text="The last day consent applies (empty: until revoked).")
    replica_types = models.JSONField(default=list, validators=[CodeListValidator("replica_type")],
                                     help_text="Which kinds of digital replica are consented to.")
    prohibited_content = models.JSONField(default=list, blank=True, validators=[CodeListValidator("content_tag")],
                                          help_text="The likeness must never appear in content of these kinds.")
    exclusive = models.BooleanField(default=False, help_text="The performer grants these rights to no one else.")
    # What happens to models trained under this grant when it ends: quarantined always; weights deleted too
    # when the contract says so.
    destroy_models_on_revocation = models.BooleanField(
        "delete model weights when consent ends", default=False,
        help_text="Models trained under this consent are always quarantined when it ends; tick to delete their "
                  "weights too.")

    # What the agreements and statutes ask of the consent itself.
    use_description = models.TextField(
        "intended use",
        help_text="Reasonably specific: which scenes, what change, with which model (at least 12 words).")
    description_given_at = models.DateTimeField("description given to the performer on", null=True, blank=True)
    represented_by_counsel = models.BooleanField("represented by counsel or the union", default=False,
                                                 help_text="The performer had a lawyer or union representative.")
    union_agreement_covers_replicas = models.BooleanField("a union agreement covers digital replicas", default=False)
    separately_signed = models.BooleanField("signed separately from the employment contract", default=False)
    notice_given_at = models.DateTimeField("notice given on", null=True, blank=True,
                                           help_text="When the performer was notified of the replica's use.")
    engaged_at = models.DateTimeField("performer engaged on", null=True, blank=True,
                                      help_text="When the performer was engaged for the production.")
    biometric_consent_explicit = models.BooleanField("explicit consent to biometric processing", default=False,
                                                     help_text="Needed where GDPR or state biometric laws apply.")
    # Compensation is confidential: never shown to VFX staff.
    compensation_terms = models.TextField(blank=True)
    compensation_days_estimate = models.DecimalField(
        "estimated days of work replaced", max_digits=6, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0)], help_text="Used for the compensation entry the union agreements ask for.")
    realtime_consent_separate = models.BooleanField("separate consent to real-time preview", default=False)
    realtime_pay_multiple = models.DecimalField(
        "real-time preview pay multiple", max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)], help_text="e.g. 1.50 for time and a half")
    posthumous_terms = models.CharField("after the performer's death", max_length=20,
                                        choices=[(p.value, p.value) for p in vocab.PosthumousTerms],
                                        default=vocab.PosthumousTerms.CONTINUES)
    estate_consent = models.BooleanField("the estate has consented", default=False)
    estate_consent_by = models.CharField("estate consent given by", max_length=200, blank=True)
    guardian_consent = models.BooleanField("a guardian has consented (minor)", default=False)
    guardian_consent_by = models.CharField("guardian", max_length=200, blank=True)

    # The signed contract (PDF). Served only through the API's permission check, never from MEDIA_URL.
    document = models.FileField(upload_to="consent/%Y/%m/", blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    signed_on = models.DateField(null=True, blank=True)

    # Lifecycle.
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["performer", "family", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="grant_family_version_unique"),
            models.UniqueConstraint(fields=["family"], condition=models.Q(status="active"),
                                    name="grant_one_active_per_family"),
            models.CheckConstraint(
                condition=models.Q(depicted_age_min__isnull=True) | models.Q(depicted_age_max__isnull=True)
                | models.Q(depicted_age_min__lte=models.F("depicted_age_max")),
                name="grant_age_range_ordered"),
            models.CheckConstraint(
                condition=models.Q(term_end__isnull=True) | models.Q(term_end__gte=models.F("term_start")),
                name="grant_term_ordered"),
        ]

    # Fields that may still change after a version leaves draft: its lifecycle, nothing of its scope.
    LIFECYCLE_FIELDS = frozenset({
        "status", "submitted_at", "approved_by", "activated_at", "superseded_at", "revoked_by", "revoked_at",
        "revocation_reason", "expired_at", "document", "document_sha256", "signed_on",
    })

    def __str__(self) -> str:
        return f"{self.performer} consent v{self.version} ({self.get_status_display()})"

    @property
    def label(self) -> str:
        return f"grant v{self.version} ({str(self.family)[:8]})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values().first()
            if stored and stored["status"] != GrantStatus.DRAFT:
                changed = [f.attname for f in self._meta.concrete_fields
                           if f.attname not in {"id"} | {n + "_id" if n.endswith("_by") else n
                                                         for n in self.LIFECYCLE_FIELDS}
                           and stored.get(f.attname) != getattr(self, f.attname)]
                if changed:
                    raise PermissionError(f"{self.label} is {stored['status']}: its scope is immutable "
                                          f"(tried to change {', '.join(changed)}); amend it instead")
                if stored["document_sha256"] and stored["document_sha256"] != self.document_sha256:
                    raise PermissionError(f"{self.label}: the signed document cannot be replaced")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != GrantStatus.DRAFT:
            raise PermissionError(f"{self.label} is {self.status}: only drafts can be deleted")
        return super().delete(*args, **kwargs)
