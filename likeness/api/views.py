"""API views: authenticate, pick the queryset a user may see, validate with a serializer, call a service."""
from __future__ import annotations

from dataclasses import asdict
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from likeness.access import predicates, scope
from likeness.access.requester import signed_in
from likeness.api import serializers as s
from likeness.api.account_serializers import SecondFactorSerializer
from likeness.api.account_views import prove_second_factor
from likeness.api.parsers import BoundedJSONParser
from likeness.api.permissions import (
    AuditorsReadOnly,
    CanAskGate,
    CanReadAuditTrail,
    CanRecordConsent,
)
from likeness.audit.models import AuditEvent
from likeness.audit.selectors import audit_chain_verify
from likeness.consent import services as consent_services
from likeness.consent.models import ConsentGrant
from likeness.consent.selectors import grant_diff, grant_family
from likeness.jobs.gating import model_facts
from likeness.organisations.models import Membership, Organisation
from likeness.organisations.services import membership_create, membership_delete
from likeness.people.models import Performer, ReferenceMaterial, Representation
from likeness.people.services import (
    performer_create,
    performer_update,
    reference_material_create,
    representation_create,
)
from likeness.policy.models import Decision
from likeness.policy.requests import gate_request_build
from likeness.policy.rules import REGISTRY
from likeness.policy.services import decision_what_if
from likeness.productions.models import Production
from likeness.productions.services import production_create, production_set_labour_action, production_update

BASE_PERMISSIONS = [IsAuthenticated, AuditorsReadOnly]


M = TypeVar("M", bound=Model)


def _bound(serializer: BaseSerializer[M]) -> M:
    """The record an update is for: DRF binds it before perform_update runs."""
    if serializer.instance is None:
        raise TypeError(f"{type(serializer).__name__} is bound to no record")
    return serializer.instance


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Organisations you belong to, and those an audit engagement of yours covers. Operators create them in the
    admin."""
    queryset = Organisation.objects.none()  # for the schema generator; requests use get_queryset

    serializer_class = s.OrganisationSerializer
    permission_classes = BASE_PERMISSIONS

    def get_queryset(self) -> QuerySet[Organisation]:
        return scope.organisations_visible_to(self.request.user)


class MembershipViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Who holds which role where. An organisation's admins add and remove its members."""
    queryset = Membership.objects.none()  # for the schema generator; requests use get_queryset

    serializer_class = s.MembershipSerializer
    permission_classes = BASE_PERMISSIONS

    def get_queryset(self) -> QuerySet[Membership]:
        return scope.memberships_visible_to(self.request.user).select_related("user").order_by("id")

    def perform_create(self, serializer: BaseSerializer[Membership]) -> None:
        data = serializer.validated_data
        serializer.instance = membership_create(user=data["user"], organisation=data["organisation"],
                                                role=data["role"], by=signed_in(self.request))

    def perform_destroy(self, instance: Membership) -> None:
        membership_delete(membership=instance, by=signed_in(self.request))


class PerformerViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Performer.objects.none()  # for the schema generator; requests use get_queryset
    serializer_class = s.PerformerSerializer
    permission_classes = [*BASE_PERMISSIONS, CanRecordConsent]

    def get_queryset(self) -> QuerySet[Performer]:
        return scope.performers_visible_to(self.request.user).order_by("legal_name")

    def perform_create(self, serializer: BaseSerializer[Performer]) -> None:
        data = dict(serializer.validated_data)
        org = data.pop("representing_organisation", None)
        if org is None:
            raise s.serializers.ValidationError({"representing_organisation": "name the organisation that "
                                                 "represents this performer"})
        serializer.instance = performer_create(by=signed_in(self.request), representing=org, **data)

    def perform_update(self, serializer: BaseSerializer[Performer]) -> None:
        data = dict(serializer.validated_data)
        data.pop("representing_organisation", None)
        serializer.instance = performer_update(performer=_bound(serializer), by=signed_in(self.request), **data)


class RepresentationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Representation.objects.none()  # for the schema generator; requests use get_queryset
    serializer_class = s.RepresentationSerializer
    permission_classes = [*BASE_PERMISSIONS, CanRecordConsent]

    def get_queryset(self) -> QuerySet[Representation]:
        return scope.representations_visible_to(self.request.user).order_by("id")

    def perform_create(self, serializer: BaseSerializer[Representation]) -> None:
        data = serializer.validated_data
        serializer.instance = representation_create(performer=data["performer"], organisation=data["organisation"],
                                                    kind=data["kind"], since=data.get("since"), by=signed_in(self.request))


class ProductionViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Productions are visible to every signed-in user (reps name them in consent); their studio's legal and
    admins change them."""

    serializer_class = s.ProductionSerializer
    permission_classes = BASE_PERMISSIONS
    queryset = Production.objects.all()

    def perform_create(self, serializer: BaseSerializer[Production]) -> None:
        serializer.instance = production_create(by=signed_in(self.request), **serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Production]) -> None:
        data = dict(serializer.validated_data)
        production = _bound(serializer)
        if "studio" in data and data.pop("studio").pk != production.studio_id:
            raise s.serializers.ValidationError({"studio": "a production cannot move to another studio"})
        serializer.instance = production_update(production=production, by=signed_in(self.request), **data)

    @extend_schema(request=s.LabourActionSerializer, responses=s.ProductionSerializer)
    @action(detail=True, methods=["post"], url_path="labour-action")
    def labour_action(self, request: Request, pk: str | None = None) -> Response:
        production = self.get_object()
        body = s.LabourActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        production = production_set_labour_action(production=production, by=signed_in(request), **body.validated_data)
        return Response(s.ProductionSerializer(production, context=self.get_serializer_context()).data)


class ReferenceMaterialViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = ReferenceMaterial.objects.none()  # for the schema generator; requests use get_queryset
    serializer_class = s.ReferenceMaterialSerializer
    permission_classes = BASE_PERMISSIONS
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]

    def get_queryset(self) -> QuerySet[ReferenceMaterial]:
        return scope.reference_materials_visible_to(self.request.user).order_by("id")

    def perform_create(self, serializer: BaseSerializer[ReferenceMaterial]) -> None:
        data = dict(serializer.validated_data)
        performer = data.pop("performer")
        serializer.instance = reference_material_create(performer=performer, by=signed_in(self.request), **data)


class GrantViewSet(viewsets.ModelViewSet):
    """Consent grants. Drafts are edited in place; an active grant is amended (a new version), never edited."""
    queryset = ConsentGrant.objects.none()  # for the schema generator; requests use get_queryset

    serializer_class = s.GrantSerializer
    permission_classes = [*BASE_PERMISSIONS, CanRecordConsent]
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    filterset_fields = ("performer", "status", "family")

    def get_queryset(self) -> QuerySet[ConsentGrant]:
        qs = scope.grants_visible_to(self.request.user).prefetch_related("productions").order_by("id")
        return qs

    def perform_create(self, serializer: BaseSerializer[ConsentGrant]) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = consent_services.grant_draft_create(
            performer=data.pop("performer"), productions=list(data.pop("productions")), by=signed_in(self.request),
            **data)

    def perform_update(self, serializer: BaseSerializer[ConsentGrant]) -> None:
        data = dict(serializer.validated_data)
        data.pop("performer", None)
        productions = data.pop("productions", None)
        serializer.instance = consent_services.grant_draft_update(
            grant=_bound(serializer), by=signed_in(self.request),
            productions=list(productions) if productions is not None else None, **data)

    def perform_destroy(self, instance: ConsentGrant) -> None:
        consent_services.grant_draft_delete(grant=instance, by=signed_in(self.request))

    def _respond(self, grant: ConsentGrant, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(grant).data, status=code)

    @extend_schema(request={"multipart/form-data": s.GrantSubmitSerializer}, responses=s.GrantSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        grant = self.get_object()
        body = s.GrantSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["document"]
        grant = consent_services.grant_submit(grant=grant, document=upload, document_name=upload.name,
                                              document_size=upload.size, by=signed_in(request),
                                              signed_on=body.validated_data.get("signed_on"))
        return self._respond(grant)

    @extend_schema(request=SecondFactorSerializer, responses=s.GrantSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Activate a submitted grant (the second party; needs a fresh second factor: send `otp_code`)."""
        grant = self.get_object()
        body = SecondFactorSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        prove_second_factor(request, body.validated_data)
        return self._respond(consent_services.grant_approve(grant=grant, by=signed_in(request)))

    @extend_schema(request=s.GrantAmendSerializer, responses=s.GrantSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, pk: str | None = None) -> Response:
        grant = self.get_object()
        body = s.GrantAmendSerializer(instance=grant, data=request.data, partial=True,
                                      context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("performer", None)
        productions = data.pop("productions", None)
        amended = consent_services.grant_amend(grant=grant, by=signed_in(request),
                                               productions=list(productions) if productions else None, **data)
        return self._respond(amended, status.HTTP_201_CREATED)

    @extend_schema(request=s.GrantRevokeSerializer, responses=s.GrantSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        grant = self.get_object()
        body = s.GrantRevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        prove_second_factor(request, body.validated_data)
        grant = consent_services.grant_revoke(grant=grant, by=signed_in(request),
                                              reason=body.validated_data["reason"])
        return self._respond(grant)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def document(self, request: Request, pk: str | None = None) -> FileResponse:
        grant = self.get_object()
        if not predicates.may_see_confidential(request.user, grant):
            raise PermissionDenied("contract documents are not available to your role")
        if not grant.document:
            raise s.serializers.ValidationError({"document": "no signed document has been uploaded"})
        return FileResponse(grant.document.open("rb"), content_type="application/pdf", as_attachment=True,
                            filename=f"consent-{grant.family}-v{grant.version}.pdf")

    @extend_schema(responses=s.GrantSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        grant = self.get_object()
        versions = grant_family(grant).filter(pk__in=self.get_queryset().values("pk"))
        return Response(self.get_serializer(versions, many=True).data)

    @extend_schema(parameters=[OpenApiParameter("against", int, required=True,
                                                description="id of the other version of the same consent")])
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk: str | None = None) -> Response:
        grant = self.get_object()
        against = request.query_params.get("against", "")
        if not against.isdigit() or len(against) > 18:
            raise s.serializers.ValidationError({"against": "give the id of another version of this consent"})
        other = get_object_or_404(self.get_queryset(), pk=int(against), family=grant.family)
        old, new = sorted([other, grant], key=lambda g: g.version)
        rows = grant_diff(old, new, include_confidential=predicates.may_see_confidential(request.user, grant))
        return Response({"old": old.pk, "new": new.pk, "changes": s.serializers.JSONField().to_representation(rows)})


class DecisionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Decision.objects.none()  # for the schema generator; requests use get_queryset
    serializer_class = s.DecisionSerializer
    permission_classes = BASE_PERMISSIONS

    filterset_fields = ("performer", "production", "outcome", "purpose")

    def get_queryset(self):
        qs = scope.decisions_visible_to(self.request.user).prefetch_related("grants")
        return qs


class GateWhatIfView(APIView):
    """Ask the gate before doing anything. The Decision is stored (purpose what_if) and returned."""

    permission_classes = [IsAuthenticated, AuditorsReadOnly, CanAskGate]

    @extend_schema(request=s.GateRequestSerializer, responses=s.DecisionSerializer)
    def post(self, request: Request) -> Response:
        body = s.GateRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        performer, production = data.pop("performer"), data.pop("production")
        likeness_model = data.pop("likeness_model", None)
        gate_request = gate_request_build(performer=performer, production=production, **data,
                                          model=model_facts(likeness_model) if likeness_model else None)
        decision = decision_what_if(request=gate_request, performer=performer, production=production,
                                    by=signed_in(request))
        return Response(s.DecisionSerializer(decision, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class RuleCatalogueView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.RuleSerializer(many=True))
    def get(self, request: Request) -> Response:
        rules = [{**asdict(r), "regimes": sorted(r.regimes)} for r in REGISTRY.values()]
        for r in rules:
            r.pop("check")
        return Response(s.RuleSerializer(rules, many=True).data)


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = AuditEvent.objects.none()  # for the schema generator; requests use get_queryset
    serializer_class = s.AuditEventSerializer
    permission_classes = [IsAuthenticated, CanReadAuditTrail]

    filterset_fields = ("object_type", "object_id", "action")

    def get_queryset(self) -> QuerySet[AuditEvent]:
        qs = scope.audit_events_visible_to(self.request.user)
        return qs


class AuditVerifyView(APIView):
    permission_classes = [IsAuthenticated, CanReadAuditTrail]

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response(audit_chain_verify(every_checkpoint=False).as_dict())
