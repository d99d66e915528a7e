"""What a user may see, and what they may use as the input of an action, as querysets.

Selectors, serializer and form choices filter with these; nothing else decides visibility. "Visible" is the
union over every role the user holds (audit engagements included); "usable" leaves the auditor role out,
since reading a record never makes it an input one may act on.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Replace
from django.utils import timezone

from likeness.access.reach import STUDIO_CONFIDENTIAL_ROLES, Reach, User, reach_of
from likeness.audit.models import AuditEvent
from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.jobs.models import Job, LikenessModel, PreviewSession
from likeness.organisations.models import AuditEngagement, Membership, Organisation, OrganisationKind, Role
from likeness.people.models import Performer, ReferenceMaterial, Representation
from likeness.policy.models import Decision
from likeness.productions.models import Production
from likeness.provenance.models import Output


@dataclass(frozen=True)
class EngagementScope:
    id: int
    organisations: frozenset[int]
    performers: frozenset[int]
    period_start: dt.date
    period_end: dt.date


def engagement_scopes(reach: Reach) -> list[EngagementScope]:
    if not reach.engagement_ids:
        return []
    rows = AuditEngagement.objects.filter(pk__in=reach.engagement_ids).prefetch_related("organisations", "performers")
    return [EngagementScope(e.pk, frozenset(o.pk for o in e.organisations.all()),
                            frozenset(p.pk for p in e.performers.all()), e.period_start, e.period_end) for e in rows]


def _reach(user: User | Reach) -> Reach:
    return user if isinstance(user, Reach) else reach_of(user)


def _in_force_grants() -> QuerySet[ConsentGrant]:
    """Active grants whose term has not ended: the only grants that tie a studio to a performer."""
    today = timezone.now().date()
    return ConsentGrant.objects.filter(status=GrantStatus.ACTIVE).filter(Q(term_end__isnull=True)
                                                                        | Q(term_end__gte=today))


def _period(prefix: str, scope: EngagementScope, field: str = "created_at") -> Q:
    return Q(**{f"{prefix}{field}__date__gte": scope.period_start, f"{prefix}{field}__date__lte": scope.period_end})


def _audited_performer_ids(scope: EngagementScope, *, with_studio_ties: bool = False) -> QuerySet[Performer, Any]:
    """Performers whose whole record the engagement covers: those it names and those its organisations
    represent. With `with_studio_ties`, also performers a grant ties to an audited studio's productions (their
    identity is visible, but of their records only what concerns that studio)."""
    represented = Representation.objects.filter(organisation_id__in=scope.organisations).values("performer_id")
    q = Q(pk__in=scope.performers) | Q(pk__in=represented)
    if with_studio_ties:
        q |= Q(pk__in=ConsentGrant.objects.filter(productions__studio_id__in=scope.organisations)
               .values("performer_id"))
    return Performer.objects.filter(q).values("pk")


def _audited(reach: Reach, clause) -> Q:  # clause(scope) -> Q
    q = Q(pk__in=[])
    for scope in engagement_scopes(reach):
        q |= clause(scope)
    return q


# ----- performers ---------------------------------------------------------------------------------------------

def performers_managed_by(user: User | Reach) -> QuerySet[Performer]:
    """Performers represented by an organisation in which the user is a talent rep or legal."""
    reach = _reach(user)
    return Performer.objects.filter(pk__in=Representation.objects.filter(
        organisation_id__in=reach.consent_orgs).values("performer_id"))


def performers_of_studio(user: User | Reach, roles: frozenset[str] | None = None) -> QuerySet[Performer]:
    """Performers an active grant ties to a production of a studio where the user holds one of `roles`."""
    reach = _reach(user)
    studios = reach.orgs(roles) if roles is not None else reach.studio_orgs
    return Performer.objects.filter(pk__in=_in_force_grants().filter(productions__studio_id__in=studios)
                                    .values("performer_id"))


def performers_usable_by(user: User | Reach) -> QuerySet[Performer]:
    """Performers the user may name in an action (a what-if, a job, reference footage)."""
    reach = _reach(user)
    return Performer.objects.filter(Q(pk__in=performers_managed_by(reach).values("pk"))
                                    | Q(pk__in=performers_of_studio(reach).values("pk")))


# Studio roles that may register reference footage of a performer their studio has consent from.
REFERENCE_REGISTRARS = frozenset({Role.LEGAL, Role.VFX_SUPERVISOR})


def performers_taking_reference_material(user: User | Reach) -> QuerySet[Performer]:
    """Performers the user may register reference footage of: those they manage, and those an active grant ties
    to a studio where they are legal or a VFX supervisor (predicates.may_add_reference_material asks this)."""
    reach = _reach(user)
    return Performer.objects.filter(Q(pk__in=performers_managed_by(reach).values("pk"))
                                    | Q(pk__in=performers_of_studio(reach, REFERENCE_REGISTRARS).values("pk")))


def performers_visible_to(user: User | Reach) -> QuerySet[Performer]:
    reach = _reach(user)
    if reach.operator:
        return Performer.objects.all()
    audited = _audited(reach, lambda s: Q(pk__in=_audited_performer_ids(s, with_studio_ties=True)))
    return Performer.objects.filter(Q(pk__in=performers_usable_by(reach).values("pk")) | audited)


def reference_materials_visible_to(user: User | Reach) -> QuerySet[ReferenceMaterial]:
    return ReferenceMaterial.objects.filter(performer__in=performers_visible_to(user).values("pk"))


def reference_materials_usable_by(user: User | Reach) -> QuerySet[ReferenceMaterial]:
    return ReferenceMaterial.objects.filter(performer__in=performers_usable_by(user).values("pk"))


def representations_visible_to(user: User | Reach) -> QuerySet[Representation]:
    return Representation.objects.filter(performer__in=performers_visible_to(user).values("pk"))


# ----- consent ------------------------------------------------------------------------------------------------

def _audited_grants(s: EngagementScope) -> Q:
    """Grants of fully audited performers, and grants naming an audited studio's productions, made by the end
    of the audited period."""
    return ((Q(performer__in=_audited_performer_ids(s)) | Q(pk__in=ConsentGrant.objects.filter(
        productions__studio_id__in=s.organisations).values("pk"))) & Q(created_at__date__lte=s.period_end))


def grants_visible_to(user: User | Reach) -> QuerySet[ConsentGrant]:
    """The performer's managers: every version. A studio's staff: versions naming one of its productions once
    they leave draft, and drafts they wrote themselves. Auditors: what an engagement covers."""
    reach = _reach(user)
    if reach.operator:
        return ConsentGrant.objects.all()
    managed = Q(performer__in=performers_managed_by(reach).values("pk"))
    studio = Q(pk__in=ConsentGrant.objects.filter(productions__studio_id__in=reach.studio_orgs)
               .exclude(status=GrantStatus.DRAFT).values("pk"))
    own_drafts = Q(drafted_by_id=reach.user_id) if reach.acts else Q(pk__in=[])
    audited = _audited(reach, _audited_grants)
    return ConsentGrant.objects.filter(managed | studio | own_drafts | audited)


def grants_confidential_to(user: User | Reach) -> QuerySet[ConsentGrant]:
    """Grants whose contract and compensation the user may read: the performer's managers, legal and admins of
    a studio whose production the (submitted) grant names, and auditors whose engagement covers the grant."""
    reach = _reach(user)
    if reach.operator:
        return ConsentGrant.objects.all()
    managed = Q(performer__in=performers_managed_by(reach).values("pk"))
    studio_legal = Q(pk__in=ConsentGrant.objects.filter(
        productions__studio_id__in=reach.orgs(STUDIO_CONFIDENTIAL_ROLES)).exclude(status=GrantStatus.DRAFT)
        .values("pk"))
    own_drafts = Q(drafted_by_id=reach.user_id) if reach.acts else Q(pk__in=[])
    audited = _audited(reach, _audited_grants)
    return ConsentGrant.objects.filter(managed | studio_legal | own_drafts | audited)


# ----- productions --------------------------------------------------------------------------------------------

def productions_of_studio(user: User | Reach, roles: frozenset[str] | None = None) -> QuerySet[Production]:
    reach = _reach(user)
    return Production.objects.filter(studio_id__in=reach.orgs(roles) if roles is not None else reach.studio_orgs)


def studios_of(user: User | Reach, roles: frozenset[str] | None = None) -> QuerySet[Organisation]:
    """Studios (organisations of the studio kind) where the user holds one of `roles` (default: any studio role).
    A law firm's legal holds the legal role too, but it has no productions: only a studio's staff work on them."""
    reach = _reach(user)
    return Organisation.objects.filter(pk__in=reach.orgs(roles) if roles is not None else reach.studio_orgs,
                                       kind=OrganisationKind.STUDIO)


def productions_for_gate(user: User | Reach, performer: Performer | None = None) -> QuerySet[Production]:
    """Productions the user may ask the gate about: their studio's, and, for a performer they manage, the
    productions that performer's grants name (a rep checking a contract before signing it)."""
    reach = _reach(user)
    q = Q(studio_id__in=reach.orgs(frozenset({Role.LEGAL, Role.VFX_ARTIST, Role.VFX_SUPERVISOR})))
    if performer is not None and performers_managed_by(reach).filter(pk=performer.pk).exists():
        q |= Q(pk__in=ConsentGrant.objects.filter(performer=performer).values("productions"))
    elif performer is None:
        q |= Q(pk__in=ConsentGrant.objects.filter(performer__in=performers_managed_by(reach).values("pk"))
               .values("productions"))
    return Production.objects.filter(q)


# ----- decisions, jobs, models, outputs, previews -------------------------------------------------------------

def _performer_or_studio(reach: Reach, *, performer: str = "performer", studio: str = "production__studio") -> Q:
    q = Q(**{f"{performer}__in": performers_managed_by(reach).values("pk")}) \
        | Q(**{f"{studio}_id__in": reach.studio_orgs})
    return q | _audited(reach, lambda s: ((Q(**{f"{performer}__in": _audited_performer_ids(s)})
                                           | Q(**{f"{studio}_id__in": s.organisations})) & _period("", s)))


def decisions_visible_to(user: User | Reach) -> QuerySet[Decision]:
    reach = _reach(user)
    if reach.operator:
        return Decision.objects.all()
    return Decision.objects.filter(_performer_or_studio(reach))


def jobs_visible_to(user: User | Reach) -> QuerySet[Job]:
    reach = _reach(user)
    if reach.operator:
        return Job.objects.all()
    return Job.objects.filter(_performer_or_studio(reach))


def preview_sessions_visible_to(user: User | Reach) -> QuerySet[PreviewSession]:
    reach = _reach(user)
    if reach.operator:
        return PreviewSession.objects.all()
    return PreviewSession.objects.filter(_performer_or_studio(reach))


def outputs_visible_to(user: User | Reach) -> QuerySet[Output]:
    reach = _reach(user)
    if not reach.authenticated:
        return Output.objects.none()
    if reach.operator:
        return Output.objects.all()
    return Output.objects.filter(_performer_or_studio(reach))


def _models_of_studios(studios: frozenset[int]) -> Q:
    ids = LikenessModel.objects.filter(Q(training_job__production__studio_id__in=studios)
                                       | Q(grant__productions__studio_id__in=studios)).values("pk")
    return Q(pk__in=ids)


def models_visible_to(user: User | Reach) -> QuerySet[LikenessModel]:
    reach = _reach(user)
    if reach.operator:
        return LikenessModel.objects.all()
    q = Q(performer__in=performers_managed_by(reach).values("pk")) | _models_of_studios(reach.studio_orgs)
    q |= _audited(reach, lambda s: ((Q(performer__in=_audited_performer_ids(s)) | _models_of_studios(s.organisations))
                                    & _period("", s)))
    return LikenessModel.objects.filter(q)


def models_usable_by(user: User | Reach) -> QuerySet[LikenessModel]:
    """Models a user may age a plate or run a preview with: those of their own studio's productions."""
    return LikenessModel.objects.filter(_models_of_studios(_reach(user).vfx_orgs))


# ----- organisations, memberships, engagements, the audit trail -----------------------------------------------

def organisations_visible_to(user: User | Reach) -> QuerySet[Organisation]:
    reach = _reach(user)
    if reach.operator:
        return Organisation.objects.all()
    audited: set[int] = set()
    for scope in engagement_scopes(reach):
        audited |= scope.organisations
    return Organisation.objects.filter(pk__in=reach.orgs() | audited)


def organisations_managed_by(user: User | Reach) -> QuerySet[Organisation]:
    """Organisations whose members the user manages: their admins' own (operators: every one)."""
    reach = _reach(user)
    if reach.operator:
        return Organisation.objects.all()
    return Organisation.objects.filter(pk__in=reach.orgs(frozenset({Role.ADMIN})))


def memberships_visible_to(user: User | Reach) -> QuerySet[Membership]:
    reach = _reach(user)
    if reach.operator:
        return Membership.objects.all()
    return Membership.objects.filter(organisation__in=organisations_visible_to(reach).values("pk"))


def engagements_visible_to(user: User | Reach) -> QuerySet[AuditEngagement]:
    """Operators: all. The audit firm's members, and admins of an organisation an engagement covers."""
    reach = _reach(user)
    if reach.operator:
        return AuditEngagement.objects.all()
    return AuditEngagement.objects.filter(Q(audit_firm_id__in=reach.orgs())
                                          | Q(organisations__in=reach.orgs(frozenset({Role.ADMIN})))
                                          | Q(granted_by_id=reach.user_id)).distinct()


def _ids_as_text(qs: QuerySet) -> QuerySet:
    # AuditEvent.object_id is text, and jobs, outputs and decisions have UUID keys, which SQLite keeps as 32 hex
    # digits and PostgreSQL casts with dashes: compare both sides without dashes, on every database.
    return qs.annotate(_sid=Replace(Cast("pk", output_field=CharField()), Value("-"), Value(""))).values("_sid")


def audit_events_visible_to(user: User | Reach) -> QuerySet[AuditEvent]:
    """Operators: the whole trail. Auditors: events about records their engagements cover, in its period.
    Events about the platform itself (its signing certificates) are part of every engagement."""
    reach = _reach(user)
    if reach.operator:
        return AuditEvent.objects.all()
    q = Q(pk__in=[])
    for scope in engagement_scopes(reach):
        performers = Performer.objects.filter(pk__in=_audited_performer_ids(scope))
        by_type = {
            "people.performer": performers,
            "people.representation": Representation.objects.filter(performer__in=performers.values("pk")),
            "people.referencematerial": ReferenceMaterial.objects.filter(performer__in=performers.values("pk")),
            "consent.consentgrant": ConsentGrant.objects.filter(_audited_grants(scope)),
            "policy.decision": Decision.objects.filter(Q(performer__in=performers.values("pk"))
                                                       | Q(production__studio_id__in=scope.organisations)),
            "jobs.job": Job.objects.filter(Q(performer__in=performers.values("pk"))
                                           | Q(production__studio_id__in=scope.organisations)),
            "jobs.likenessmodel": LikenessModel.objects.filter(performer__in=performers.values("pk")),
            "jobs.previewsession": PreviewSession.objects.filter(Q(performer__in=performers.values("pk"))
                                                                 | Q(production__studio_id__in=scope.organisations)),
            "provenance.output": Output.objects.filter(Q(performer__in=performers.values("pk"))
                                                       | Q(production__studio_id__in=scope.organisations)),
            "productions.production": Production.objects.filter(studio_id__in=scope.organisations),
            "organisations.organisation": Organisation.objects.filter(pk__in=scope.organisations),
            "organisations.membership": Membership.objects.filter(organisation_id__in=scope.organisations),
            "organisations.auditengagement": AuditEngagement.objects.filter(pk=scope.id),
        }
        about = Q(object_type__startswith="provenance.signingcertificate")
        for object_type, rows in by_type.items():
            about |= Q(object_type=object_type, _oid__in=_ids_as_text(rows))
        q |= about & Q(at__date__gte=scope.period_start, at__date__lte=scope.period_end)
    return AuditEvent.objects.annotate(_oid=Replace("object_id", Value("-"), Value(""))).filter(q)
