"""Provenance endpoints: verify any file (auditors), the output registry, approval and evidence bundles."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from likeness.access import predicates
from likeness.access.reach import reach_of
from likeness.access.scope import outputs_visible_to
from likeness.api import provenance_serializers as s
from likeness.api.account_views import prove_second_factor
from likeness.api.parsers import BoundedJSONParser
from likeness.api.permissions import AuditorsReadOnly, IsAuditor
from likeness.provenance.bundle import bundle_build
from likeness.provenance.models import Output
from likeness.provenance.selectors import outputs_by_sha256, registry_lookup_upload, verify_upload
from likeness.provenance.services import output_approve, output_decline


class VerifyView(APIView):
    """Upload any file: its Content Credentials, each code explained, the manifest chain, and (for files the
    platform signed) the decision, grant and output records as they stand now."""

    permission_classes = [IsAuthenticated, IsAuditor]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": s.UploadSerializer}, responses={200: dict})
    def post(self, request: Request) -> Response:
        body = s.UploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        with upload.open("rb") as fh:
            result = verify_upload(fh, user=request.user, name=upload.name)
        return Response(result)


class OutputViewSet(viewsets.ReadOnlyModelViewSet):
    """The output registry: outputs you may see (auditors: all). `?sha256=` finds a file by its hash (signed
    or unsigned render); `lookup/` takes the file itself and falls back to its content fingerprint."""

    queryset = Output.objects.none()  # for the schema generator; requests use get_queryset
    serializer_class = s.OutputSerializer
    permission_classes = [IsAuthenticated, AuditorsReadOnly]

    def get_permissions(self):
        if self.action == "lookup":  # a POST that only reads: auditors use it too
            return [IsAuthenticated()]
        return super().get_permissions()

    filterset_fields = ("status", "performer", "production", "job_ref")

    def get_queryset(self) -> QuerySet[Output]:
        qs = outputs_visible_to(self.request.user)
        sha = self.request.query_params.get("sha256")
        if sha:
            qs = outputs_by_sha256(sha, qs)
        return qs

    @extend_schema(parameters=[OpenApiParameter("sha256", str, description="SHA-256 of the signed file or render")])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": s.UploadSerializer}, responses={200: dict})
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def lookup(self, request: Request) -> Response:
        body = s.UploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(registry_lookup_upload(request.user, body.validated_data["file"]))

    def _note_action(self, request: Request, service, serializer=s.NoteSerializer) -> Response:
        output = self.get_object()
        body = serializer(data=request.data)
        body.is_valid(raise_exception=True)
        prove_second_factor(request, body.validated_data)
        extra = {"watched_sha256": body.validated_data.get("watched_sha256") or ""} \
            if "watched_sha256" in body.fields else {}
        output = service(output=output, by=request.user, note=body.validated_data["note"], **extra)
        return Response(s.OutputSerializer(output).data)

    @extend_schema(request=s.ApprovalSerializer, responses=s.OutputSerializer)
    @action(detail=True, methods=["post"], parser_classes=[BoundedJSONParser, FormParser])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """The performer's talent rep or legal approves the output for release (a note and, unless this session
        proved one recently, `otp_code` from their authenticator)."""
        return self._note_action(request, output_approve, s.ApprovalSerializer)

    @extend_schema(request=s.NoteSerializer, responses=s.OutputSerializer)
    @action(detail=True, methods=["post"], parser_classes=[BoundedJSONParser, FormParser])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        return self._note_action(request, output_decline)

    @extend_schema(responses={(200, "application/zip"): bytes})
    @action(detail=True, methods=["get"])
    def bundle(self, request: Request, pk: str | None = None) -> HttpResponse:
        """Evidence bundle (zip): auditors, operators, and the performer's reps and legal."""
        output = self.get_object()
        reach = reach_of(request.user)
        # The output is visible (get_object): an auditor here reads it under an engagement.
        if not (reach.operator or reach.engagement_ids or predicates.manages_performer(reach, output.performer)):
            raise PermissionDenied("evidence bundles are for auditors and the performer's representatives")
        data = bundle_build(output=output)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="evidence-{output.pk}.zip"'
        return response
