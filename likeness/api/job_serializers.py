"""Serializers for jobs and likeness models."""
from __future__ import annotations

from typing import Any

from rest_framework import serializers

from likeness.access import scope
from likeness.api.binding import BoundToUser
from likeness.jobs.models import Job, LikenessModel, OutputCodec
from likeness.jobs.submission import MODEL_SIZES
from likeness.organisations.models import VFX_ROLES
from likeness.people.models import Performer, ReferenceMaterial
from likeness.productions.models import Production


def _vfx_productions(user):
    return scope.productions_of_studio(user, VFX_ROLES)


class LikenessModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = LikenessModel
        fields = ["id", "performer", "size", "status", "grant", "decision", "reference_materials", "reference_sha256",
                  "dataset_manifest_sha256", "weights_sha256", "training_steps", "age_range", "target_ages",
                  "reference_balance", "engine_version",
                  "created_at", "ready_at", "quarantined_at", "quarantine_reason", "destroyed_at"]


class JobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    log = serializers.SerializerMethodField()
    decisions = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "state", "state_reason", "performer", "production", "requested_by", "params",
                  "reference_materials", "trained_model", "likeness_model", "plate_sha256", "output", "progress",
                  "decisions", "submit_decision", "attempt", "worker", "created_at", "queued_at", "started_at",
                  "finished_at", "engine_seconds", "log"]

    def get_progress(self, job: Job) -> dict[str, Any]:
        fraction = job.progress_done / job.progress_total if job.progress_total else None
        return {"stage": job.stage, "done": job.progress_done, "total": job.progress_total,
                "fraction": round(fraction, 4) if fraction is not None else None, "eta_seconds": job.eta_seconds,
                "heartbeat_at": job.heartbeat_at}

    def get_log(self, job: Job) -> list[dict[str, Any]]:
        lines = list(job.log_lines.order_by("-id")[:50])
        return [{"at": line.at, "level": line.level, "message": line.message} for line in reversed(lines)]

    def get_decisions(self, job: Job) -> list[dict[str, Any]]:
        return [{"id": str(d.pk), "purpose": d.purpose, "outcome": d.outcome, "created_at": d.created_at}
                for d in job.decisions.order_by("created_at")]


class TrainingJobRequestSerializer(BoundToUser, serializers.Serializer):
    bound_fields = {"performer": scope.performers_usable_by, "production": _vfx_productions,
                    "reference_materials": scope.reference_materials_usable_by}
    performer = serializers.PrimaryKeyRelatedField(queryset=Performer.objects.all())
    production = serializers.PrimaryKeyRelatedField(queryset=Production.objects.all())
    reference_materials = serializers.PrimaryKeyRelatedField(queryset=ReferenceMaterial.objects.all(), many=True)
    size = serializers.ChoiceField(choices=MODEL_SIZES, default="preview")
    steps = serializers.IntegerField(required=False, min_value=1, max_value=200_000)


class AgingJobRequestSerializer(BoundToUser, serializers.Serializer):
    bound_fields = {"performer": scope.performers_usable_by, "production": _vfx_productions,
                    "likeness_model": scope.models_usable_by}
    performer = serializers.PrimaryKeyRelatedField(queryset=Performer.objects.all())
    production = serializers.PrimaryKeyRelatedField(queryset=Production.objects.all())
    likeness_model = serializers.PrimaryKeyRelatedField(queryset=LikenessModel.objects.all())
    plate = serializers.FileField(help_text="The plate: a video file (MP4/MOV)")
    target_age = serializers.FloatField(min_value=0, max_value=120)
    frame_start = serializers.IntegerField(min_value=0, default=0)
    frame_end = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    use_description = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, default="",
        help_text="The planned use of the shot, as the performer was told it (needed under the Commercials "
                  "agreement, where any use outside the description given needs new consent)")
    codec = serializers.ChoiceField(choices=OutputCodec.choices, default=OutputCodec.H264,
                                    help_text="How the output is encoded: the H.264 review copy, or lossless H.264 "
                                              "(RGB) that keeps every pixel outside the face")


class JobCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
