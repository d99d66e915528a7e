"""Loading the gate's facts from the database."""
from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from likeness.consent.models import ConsentGrant
from likeness.people.models import Performer
from likeness.policy.facts import GateFacts, GrantFacts, PerformerFacts, ProductionFacts
from likeness.productions.models import Production


def performer_facts(performer: Performer) -> PerformerFacts:
    return PerformerFacts(
        id=str(performer.pk), name=str(performer), date_of_birth=performer.date_of_birth,
        date_of_death=performer.date_of_death, domicile=performer.domicile,
        union_memberships=tuple(performer.union_memberships), guardian_name=performer.guardian_name,
    )


def production_facts(production: Production) -> ProductionFacts:
    return ProductionFacts(
        id=str(production.pk), title=production.title, agreement=production.agreement,
        jurisdictions=tuple(production.jurisdictions), release_territories=tuple(production.release_territories),
        release_media=tuple(production.release_media), labour_action=production.labour_action,
        extra_rule_packs=tuple(production.extra_rule_packs),
    )


def grant_facts(grant: ConsentGrant) -> GrantFacts:
    productions = list(grant.productions.all())  # prefetched by grants_for_gate
    return GrantFacts(
        id=str(grant.pk), version=grant.version, status=grant.status, performer_id=str(grant.performer_id),
        family=str(grant.family), uses=tuple(grant.uses), productions=tuple(str(p.pk) for p in productions),
        production_titles=tuple(p.title for p in productions), depicted_age_min=grant.depicted_age_min,
        depicted_age_max=grant.depicted_age_max, media=tuple(grant.media), territories=tuple(grant.territories),
        term_start=grant.term_start, term_end=grant.term_end, replica_types=tuple(grant.replica_types),
        use_description=grant.use_description, description_given_at=grant.description_given_at,
        represented_by_counsel=grant.represented_by_counsel,
        union_agreement_covers_replicas=grant.union_agreement_covers_replicas,
        separately_signed=grant.separately_signed, notice_given_at=grant.notice_given_at,
        engaged_at=grant.engaged_at, biometric_consent_explicit=grant.biometric_consent_explicit,
        compensation_terms=grant.compensation_terms, compensation_days_estimate=grant.compensation_days_estimate,
        realtime_consent_separate=grant.realtime_consent_separate,
        realtime_pay_multiple=grant.realtime_pay_multiple, posthumous_terms=grant.posthumous_terms,
        estate_consent=grant.estate_consent, guardian_consent=grant.guardian_consent,
        prohibited_content=tuple(grant.prohibited_content), exclusive=grant.exclusive,
        document_sha256=grant.document_sha256, signed_on=grant.signed_on, revoked_at=grant.revoked_at,
        revocation_reason=grant.revocation_reason,
    )


def grants_for_gate(performer: Performer) -> QuerySet[ConsentGrant]:
    return ConsentGrant.objects.filter(performer=performer).prefetch_related("productions").order_by("id")


def gate_facts(*, performer: Performer, production: Production) -> GateFacts:
    return GateFacts(
        performer=performer_facts(performer),
        production=production_facts(production),
        grants=tuple(grant_facts(g) for g in grants_for_gate(performer)),
        extra_rule_packs=tuple(settings.GATE_EXTRA_PACKS),
    )


