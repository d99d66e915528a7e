"""Serializers for the provenance endpoints: the output registry, approval notes and file uploads."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from likeness.api.account_serializers import SecondFactorSerializer
from likeness.common.uploads import check_upload_to_read
from likeness.provenance.models import Output


class OutputSerializer(serializers.ModelSerializer):
    performer_public_id = serializers.UUIDField(source="performer.public_id", read_only=True)
    production_title = serializers.CharField(source="production.title", read_only=True)
    grant_version = serializers.IntegerField(source="grant.version", read_only=True)
    approved_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    declined_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    released_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    signed_by_certificate: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="serial",
                                                                                            read_only=True)

    class Meta:
        model = Output
        fields = ["id", "job_ref", "status", "mime", "size", "sha256", "rendered_sha256", "manifest_label",
                  "decision", "release_decision", "grant", "grant_version", "performer", "performer_public_id",
                  "production", "production_title", "likeness_model_id", "likeness_model_weights_sha256",
                  "dataset_manifest_sha256", "engine_name", "engine_version", "parameters", "source_sha256",
                  "approved_by", "approval_note", "approved_at", "declined_by", "decline_note", "declined_at",
                  "released_by", "released_at", "signed_by_certificate", "consent_revoked_at", "consent_note",
                  "created_at"]
        read_only_fields = fields


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(help_text="why: it is part of the record", allow_blank=False, trim_whitespace=True)


class ApprovalSerializer(NoteSerializer, SecondFactorSerializer):
    """Approving an output for release binds the performer: it needs a fresh second factor."""

    watched_sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", required=False, allow_blank=True,
        help_text="SHA-256 of the file you reviewed; the approval is refused if the output's file is another, and "
                  "the audit trail records it")


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="any image or video; C2PA-signed or not")

    def validate_file(self, upload):
        limit = settings.OUTPUT_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise serializers.ValidationError(
                f"the file is {upload.size} bytes; the limit is {limit} bytes ({limit // (1024 * 1024)} MiB)")
        if upload.size == 0:
            raise serializers.ValidationError("the file is empty")
        check_upload_to_read(upload)
        return upload
