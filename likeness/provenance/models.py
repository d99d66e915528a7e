"""Signing certificates the platform issued, and the registry of outputs (rendered, approved, signed, released)."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from likeness.common.transitions import StateMachine


class SigningCertificate(models.Model):
    """One end-entity certificate the platform's CA issued for signing outputs. Never deleted: files signed with
    it must stay attributable after rotation."""

    serial = models.CharField(max_length=64, unique=True, help_text="hex")
    subject = models.CharField(max_length=300)
    issuer = models.CharField(max_length=300)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    certificate_pem = models.TextField()
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    # On the CA's CRL from this moment (which may precede the day it was recorded: a key compromised since then).
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=20, blank=True,
                                         choices=[("compromised", "Key compromised"), ("superseded", "Superseded"),
                                                  ("retired", "Retired")])

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["active"], condition=models.Q(active=True),
                                               name="signing_certificate_one_active")]

    def __str__(self) -> str:
        return f"{self.subject} #{self.serial[:12]} ({'active' if self.active else 'retired'})"

    @property
    def serial_decimal(self) -> str:
        """c2pa-rs reports the serial in decimal (signature_info.cert_serial_number)."""
        return str(int(self.serial, 16))


class OutputStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved for release"
    DECLINED = "declined", "Declined"
    RELEASED = "released", "Signed and released"
    WITHDRAWN = "withdrawn", "Withdrawn"


# People approve or decline a rendered output; an approved one is signed and released. Consent that ends first
# withdraws it. A released output keeps its status (the file is out in the world); the record shows the rest.
OUTPUT_STATES = StateMachine("output", states=OutputStatus.values, initial=[OutputStatus.AWAITING_APPROVAL], moves={
    OutputStatus.AWAITING_APPROVAL: [OutputStatus.APPROVED, OutputStatus.DECLINED, OutputStatus.WITHDRAWN],
    OutputStatus.APPROVED: [OutputStatus.RELEASED, OutputStatus.DECLINED, OutputStatus.WITHDRAWN],
})


class Output(models.Model):
    """A rendered output and, once released, its signed file. The jobs app points here (Job.output); this app
    never imports jobs, so the model is recorded by id and weights hash."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job_ref = models.CharField(max_length=64, blank=True, db_index=True, help_text="id of the job that rendered it")
    # The current file: the unsigned render until release, then the signed file.
    file = models.FileField(upload_to="outputs/%Y/%m/", max_length=300)
    sha256 = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of `file`")
    rendered_sha256 = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the unsigned render")
    rendered_name = models.CharField(max_length=300, blank=True, help_text="storage name of the unsigned render")
    mime = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    manifest_label = models.CharField(max_length=120, blank=True, db_index=True)
    # Perceptual fingerprint of the frames (see fingerprint.py), so a copy whose manifest was stripped is found.
    fingerprint = models.TextField(blank=True)

    decision = models.ForeignKey("policy.Decision", on_delete=models.PROTECT, related_name="outputs",
                                 help_text="the decision under which it was rendered")
    grant = models.ForeignKey("consent.ConsentGrant", on_delete=models.PROTECT, related_name="outputs")
    performer = models.ForeignKey("people.Performer", on_delete=models.PROTECT, related_name="outputs")
    production = models.ForeignKey("productions.Production", on_delete=models.PROTECT, related_name="outputs")
    likeness_model_id = models.CharField(max_length=64, blank=True)
    likeness_model_weights_sha256 = models.CharField(max_length=64, blank=True)
    dataset_manifest_sha256 = models.CharField(max_length=64, blank=True)
    reference_titles = models.JSONField(default=list, blank=True)
    engine_name = models.CharField(max_length=80, default="likeness-engine")
    engine_version = models.CharField(max_length=40, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    # The source plate the output was made from (the parent ingredient of its manifest): an auditor who uploads
    # that untouched footage is told it is this output's source, not a copy of the output.
    source_sha256 = models.CharField(max_length=64, blank=True, db_index=True,
                                     help_text="SHA-256 of the source plate (as its signed manifest names it)")
    source_fingerprint = models.TextField(blank=True, help_text="perceptual fingerprint of the source plate")
    source_plate_name = models.CharField(max_length=300, blank=True, help_text="storage name or local path")
    source_plate_mime = models.CharField(max_length=40, blank=True)

    status = models.CharField(max_length=20, choices=OutputStatus.choices, default=OutputStatus.AWAITING_APPROVAL,
                              db_index=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approval_note = models.TextField(blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    decline_note = models.TextField(blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    release_decision = models.ForeignKey("policy.Decision", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="released_outputs",
                                         help_text="the gate's decision at the moment of release")
    signed_by_certificate = models.ForeignKey(SigningCertificate, null=True, blank=True, on_delete=models.PROTECT,
                                              related_name="outputs")
    # Consent can be withdrawn after release: the record says so (the signed file cannot).
    consent_revoked_at = models.DateTimeField(null=True, blank=True)
    consent_note = models.TextField(blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"output {str(self.id)[:8]} ({self.get_status_display()})"
