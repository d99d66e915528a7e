"""Job endpoints: submit (gated), follow progress, cancel; likeness models."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from likeness.access.requester import signed_in
from likeness.access.scope import jobs_visible_to, models_visible_to
from likeness.api import job_serializers as js
from likeness.api.parsers import BoundedJSONParser
from likeness.api.permissions import AuditorsReadOnly, CanRequestJobs
from likeness.jobs.models import Job, JobState, LikenessModel
from likeness.jobs.release import job_release
from likeness.jobs.submission import job_cancel, job_submit_aging, job_submit_training


def _submitted(job: Job, context: Mapping[str, Any]) -> Response:
    """A denial is stored with the job and answered as 400 with the gate's explanation."""
    body = js.JobSerializer(job, context=context).data
    if job.state == JobState.DENIED:
        return Response({"detail": job.state_reason, "job": body,
                         "decision": {"id": str(job.submit_decision_id),
                                      "outcome": job.submit_decision.outcome if job.submit_decision else None}},
                        status=status.HTTP_400_BAD_REQUEST)
    return Response(body, status=status.HTTP_201_CREATED)


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = js.JobSerializer
    permission_classes = [IsAuthenticated, AuditorsReadOnly]
    queryset = Job.objects.none()  # for the schema generator; requests use get_queryset

    filterset_fields = ("state", "kind", "performer", "production")

    def get_queryset(self) -> QuerySet[Job]:
        qs = jobs_visible_to(self.request.user).select_related("submit_decision").prefetch_related("decisions")
        return qs

    @extend_schema(request=js.TrainingJobRequestSerializer, responses={201: js.JobSerializer})
    @action(detail=False, methods=["post"], parser_classes=[BoundedJSONParser, FormParser, MultiPartParser],
            permission_classes=[IsAuthenticated, AuditorsReadOnly, CanRequestJobs])
    def training(self, request: Request) -> Response:
        body = js.TrainingJobRequestSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        job = job_submit_training(performer=data["performer"], production=data["production"],
                                  reference_materials=list(data["reference_materials"]), by=signed_in(request),
                                  size=data["size"], steps=data.get("steps"))
        return _submitted(job, self.get_serializer_context())

    @extend_schema(request={"multipart/form-data": js.AgingJobRequestSerializer}, responses={201: js.JobSerializer})
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser],
            permission_classes=[IsAuthenticated, AuditorsReadOnly, CanRequestJobs])
    def aging(self, request: Request) -> Response:
        body = js.AgingJobRequestSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        plate = data["plate"]
        job = job_submit_aging(performer=data["performer"], production=data["production"],
                               likeness_model=data["likeness_model"], plate=plate, plate_name=plate.name,
                               target_age=data["target_age"], by=signed_in(request),
                               frame_start=data["frame_start"], frame_end=data.get("frame_end"),
                               use_description=data["use_description"], codec=data["codec"])
        return _submitted(job, self.get_serializer_context())

    @extend_schema(request=js.JobCancelSerializer, responses=js.JobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        body = js.JobCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = job_cancel(job=self.get_object(), by=signed_in(request), reason=body.validated_data["reason"])
        return Response(js.JobSerializer(job, context=self.get_serializer_context()).data)


    @extend_schema(request=None, responses=js.JobSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str | None = None) -> Response:
        """Sign the approved output with C2PA Content Credentials and release it (the gate is asked again)."""
        job = job_release(job=self.get_object(), by=signed_in(request))
        return Response(js.JobSerializer(job, context=self.get_serializer_context()).data)


class LikenessModelViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = js.LikenessModelSerializer
    permission_classes = [IsAuthenticated]
    queryset = LikenessModel.objects.none()  # for the schema generator; requests use get_queryset

    filterset_fields = ("performer", "status")

    def get_queryset(self) -> QuerySet[LikenessModel]:
        qs = models_visible_to(self.request.user)
        return qs
