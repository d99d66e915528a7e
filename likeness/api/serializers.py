"""Serializers: shape and validate input, hide what a role may not see. No business logic here."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from rest_framework import serializers

from likeness.access import scope
from likeness.access.decision_facts import decision_facts_for
from likeness.access.predicates import may_see_confidential
from likeness.access.reach import reach_of
from likeness.api.account_serializers import SecondFactorSerializer
from likeness.api.binding import BoundToUser
from likeness.audit.models import AuditEvent
from likeness.common import vocabulary as vocab
from likeness.consent.models import ConsentGrant
from likeness.consent.selectors import CONFIDENTIAL_FIELDS, DIFF_FIELDS, grant_effective_status
from likeness.consent.validation import scope_errors
from likeness.jobs.models import LikenessModel
from likeness.organisations.models import CONSENT_ROLES, Membership, Organisation, Role
from likeness.people.models import Performer, ReferenceMaterial, Representation
from likeness.policy.models import Decision
from likeness.productions.models import Production


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "created_at"]


def _context_reach(context: Mapping[str, Any]) -> Any:
    """The requesting user's reach, read once per response (a list serialises many rows). DRF types a
    serializer's context as a Mapping; it is the view's dict, shared by every row, which is what the cache needs."""
    context = cast(dict[str, Any], context)
    if "_reach" not in context:
        request = context.get("request")
        context["_reach"] = reach_of(getattr(request, "user", None))
    return context["_reach"]


def _admin_orgs(user):
    reach = reach_of(user)
    return Organisation.objects.all() if reach.operator else Organisation.objects.filter(
        pk__in=reach.orgs(frozenset({Role.ADMIN})))


def _consent_orgs(user):
    return Organisation.objects.filter(pk__in=reach_of(user).orgs(CONSENT_ROLES))


class MembershipSerializer(BoundToUser, serializers.ModelSerializer):
    bound_fields = {"organisation": _admin_orgs}
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "username", "organisation", "role", "created_at"]


class PerformerSerializer(BoundToUser, serializers.ModelSerializer):
    bound_fields = {"representing_organisation": _consent_orgs}
    representing_organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), write_only=True, required=False,
        help_text="The organisation (yours) that represents the new performer")

    class Meta:
        model = Performer
        fields = ["id", "public_id", "legal_name", "professional_name", "date_of_birth", "date_of_death", "domicile",
                  "union_memberships", "guardian_name", "representing_organisation", "created_at", "updated_at"]
        read_only_fields = ["public_id", "created_at", "updated_at"]


class RepresentationSerializer(BoundToUser, serializers.ModelSerializer):
    bound_fields = {"performer": scope.performers_managed_by}
    class Meta:
        model = Representation
        fields = ["id", "performer", "organisation", "kind", "since", "created_at"]


class ProductionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Production
        fields = ["id", "title", "studio", "agreement", "jurisdictions", "release_territories", "release_media",
                  "labour_action", "labour_action_since", "extra_rule_packs", "created_at", "updated_at"]
        read_only_fields = ["labour_action", "labour_action_since", "created_at", "updated_at"]


class LabourActionSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReferenceMaterialSerializer(BoundToUser, serializers.ModelSerializer):
    bound_fields = {"performer": scope.performers_usable_by}
    file = serializers.FileField(write_only=True, required=False)
    sha256 = serializers.CharField(required=False, allow_blank=True, max_length=64)

    class Meta:
        model = ReferenceMaterial
        fields = ["id", "performer", "title", "year", "performer_age", "rights_basis", "sha256", "file",
                  "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]
        # The service checks (performer, sha256) once it has hashed the file: the unique-together validator DRF
        # would add demands a sha256 in the request, which an upload of the file itself does not carry.
        validators: list = []


class GrantSerializer(BoundToUser, serializers.ModelSerializer):
    bound_fields = {"performer": scope.performers_usable_by}
    effective_status = serializers.SerializerMethodField()
    has_document = serializers.SerializerMethodField()

    class Meta:
        model = ConsentGrant
        fields = [
            "id", "family", "version", "supersedes", "performer", "status", "effective_status", "uses",
            "productions", "depicted_age_min", "depicted_age_max", "media", "territories", "term_start", "term_end",
            "replica_types", "prohibited_content", "exclusive", "destroy_models_on_revocation", "use_description",
            "description_given_at",
            "represented_by_counsel", "union_agreement_covers_replicas", "separately_signed", "notice_given_at",
            "engaged_at", "biometric_consent_explicit", "compensation_terms", "compensation_days_estimate",
            "realtime_consent_separate", "realtime_pay_multiple", "posthumous_terms", "estate_consent",
            "estate_consent_by", "guardian_consent", "guardian_consent_by", "has_document", "document_sha256",
            "signed_on", "drafted_by", "created_at", "submitted_at", "approved_by", "activated_at", "superseded_at",
            "revoked_by", "revoked_at", "revocation_reason", "expired_at",
        ]
        read_only_fields = [
            "family", "version", "supersedes", "status", "document_sha256", "signed_on", "drafted_by", "created_at",
            "submitted_at", "approved_by", "activated_at", "superseded_at", "revoked_by", "revoked_at",
            "revocation_reason", "expired_at",
        ]
        extra_kwargs = {"productions": {"required": True, "allow_empty": False}}

    def get_effective_status(self, grant: ConsentGrant) -> str:
        return grant_effective_status(grant)

    def get_has_document(self, grant: ConsentGrant) -> bool:
        return bool(grant.document)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The consent app's scope rules, on the grant as it would be: the input over the stored draft (a partial
        # update or an amendment) or over the model's defaults (a new draft).
        base = self.instance if self.instance is not None else ConsentGrant()
        values = {name: attrs[name] if name in attrs else getattr(base, name) for name in DIFF_FIELDS}
        productions: list[Production] | None
        if "productions" in attrs:
            productions = list(attrs["productions"])
        else:
            productions = list(self.instance.productions.all()) if self.instance is not None else None
        errors = scope_errors(values, productions)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def to_representation(self, grant: ConsentGrant) -> dict[str, Any]:
        data = super().to_representation(grant)
        if not may_see_confidential(_context_reach(self.context), grant):
            for name in CONFIDENTIAL_FIELDS | {"document_sha256", "has_document"}:
                data.pop(name, None)
        return data


class GrantAmendSerializer(GrantSerializer):
    class Meta(GrantSerializer.Meta):
        extra_kwargs = {"productions": {"required": False, "allow_empty": False},
                        "uses": {"required": False}, "term_start": {"required": False},
                        "use_description": {"required": False}}


class GrantSubmitSerializer(serializers.Serializer):
    document = serializers.FileField(help_text="The signed contract, as a PDF")
    signed_on = serializers.DateField(required=False)


class GrantRevokeSerializer(SecondFactorSerializer):
    reason = serializers.CharField(allow_blank=False, max_length=2000)


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["id", "purpose", "performer", "production", "use", "outcome", "explanation", "lines",
                  "obligations", "regimes", "rule_pack_versions", "nearest_grant", "request", "facts",
                  "inputs_sha256", "grants", "requested_by", "created_at"]

    def to_representation(self, decision: Decision) -> dict[str, Any]:
        data = super().to_representation(decision)
        # The snapshot holds every grant the gate saw: each viewer gets only the grants (and the contract and
        # compensation fields) they may read.
        data["facts"] = decision_facts_for(_context_reach(self.context), decision)
        return data


class AlterationExceptionSerializer(serializers.Serializer):
    reason = serializers.CharField()
    reviewer = serializers.CharField()


def _choice_list(kind: str, values: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=sorted(values)), required=False,
                                 help_text=f"{kind} codes")


class GateRequestSerializer(BoundToUser, serializers.Serializer):
    bound_fields = {"performer": scope.performers_usable_by, "production": scope.productions_for_gate,
                    "likeness_model": scope.models_visible_to}
    performer = serializers.PrimaryKeyRelatedField(queryset=Performer.objects.all())
    production = serializers.PrimaryKeyRelatedField(queryset=Production.objects.all())
    use = serializers.ChoiceField(choices=sorted(vocab.Use))
    depicted_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    media = _choice_list("medium", vocab.Medium)
    territories = serializers.ListField(child=serializers.CharField(max_length=5), required=False)
    replica_types = _choice_list("replica type", vocab.ReplicaType)
    content_tags = _choice_list("content", vocab.ContentTag)
    at = serializers.DateTimeField(required=False, help_text="When the use happens (default: now)")
    session_at = serializers.DateTimeField(required=False, allow_null=True)
    origin_production = serializers.PrimaryKeyRelatedField(queryset=Production.objects.all(), required=False,
                                                           allow_null=True)
    alteration_exception = AlterationExceptionSerializer(required=False, allow_null=True)
    use_description = serializers.CharField(required=False, allow_null=True)
    performance_fixed_on = serializers.DateField(
        required=False, allow_null=True,
        help_text="Day the performance replicated or altered was fixed (default: the day of the use); California "
                  "§ 927 and New York § 5-302 reach performances fixed from 1 Jan 2025")
    likeness_model = serializers.PrimaryKeyRelatedField(
        queryset=LikenessModel.objects.all(), required=False, allow_null=True,
        help_text="The likeness model the use would run (an aging job's or a preview's): the gate checks that the "
                  "consent it was trained under still allows it")

    def validate_territories(self, value: list[str]) -> list[str]:
        bad = vocab.unknown_codes("territory", value)
        if bad:
            raise serializers.ValidationError(f"unknown territory code(s): {', '.join(bad)}")
        return value


class RuleSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    # DRF's metaclass takes declared fields off the class, so this does not shadow Field.source.
    source = serializers.CharField()  # type: ignore[assignment]
    source_kind = serializers.CharField()
    regimes = serializers.ListField(child=serializers.CharField())
    applies_when = serializers.CharField()
    requires = serializers.CharField()
    outcome = serializers.CharField()
    reviewed = serializers.CharField()


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "seq", "at", "actor_label", "action", "object_type", "object_id", "data", "prev_hash", "hash"]
