"""May this user do this? One predicate per act; services enforce them with `require`, and the API and the
pages ask the same ones before they offer an action.

Write rights come from acting roles only: the auditor role never adds one (an engagement is a licence to read).
"""
from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied

from likeness.access import scope
from likeness.access.reach import STUDIO_ROLES, Reach, User, reach_of
from likeness.consent.models import ConsentGrant
from likeness.jobs.models import Job, PreviewSession
from likeness.organisations.models import CONSENT_ROLES, VFX_ROLES, Organisation, Role, assignable_roles
from likeness.people.models import Performer, Representation
from likeness.productions.models import Production
from likeness.provenance.models import Output

READ_ONLY_MESSAGE = "auditors have read-only access"


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _reach(user: User | Reach) -> Reach:
    return user if isinstance(user, Reach) else reach_of(user)


def is_read_only(user: User | Reach) -> bool:
    """Signed in, yet holding no role that can write anything: an auditor-only account."""
    reach = _reach(user)
    return reach.authenticated and not reach.operator and not reach.acts


# ----- performers and footage ---------------------------------------------------------------------------------

def manages_performer(user: User | Reach, performer: Performer) -> bool:
    return scope.performers_managed_by(user).filter(pk=performer.pk).exists()


def may_add_performer(user: User | Reach, organisation: Organisation) -> bool:
    return organisation.pk in _reach(user).consent_orgs


def may_add_reference_material(user: User | Reach, performer: Performer) -> bool:
    """The performer's managers, or legal and VFX supervisors of a studio an active grant ties them to."""
    reach = _reach(user)
    return manages_performer(reach, performer) or scope.performers_of_studio(
        reach, scope.REFERENCE_REGISTRARS).filter(pk=performer.pk).exists()


# ----- consent ------------------------------------------------------------------------------------------------

def may_draft_grant(user: User | Reach, performer: Performer, productions: Iterable[Production]) -> bool:
    """The performer's managers draft for any production. A studio's legal may draft (never activate) consent
    for its own productions, and only for a performer an active grant already ties to that studio."""
    reach = _reach(user)
    if manages_performer(reach, performer):
        return True
    prods = list(productions)
    legal = reach.orgs(frozenset({Role.LEGAL}))
    if not prods or any(p.studio_id not in legal for p in prods):
        return False
    return scope.performers_of_studio(reach, frozenset({Role.LEGAL})).filter(pk=performer.pk).exists()


def may_edit_grant_draft(user: User | Reach, grant: ConsentGrant,
                         productions: Iterable[Production] | None = None) -> bool:
    """Edit, submit or delete a draft: the performer's managers, or the studio legal who wrote it."""
    reach = _reach(user)
    if manages_performer(reach, grant.performer):
        return True
    prods = list(grant.productions.all()) if productions is None else list(productions)
    return grant.drafted_by_id == reach.user_id and may_draft_grant(reach, grant.performer, prods)


def may_bind_performer(user: User | Reach, performer: Performer) -> bool:
    """Activate or revoke consent, approve or decline an output: only those who act for the performer."""
    return manages_performer(user, performer)


def may_see_confidential(user: User | Reach, grant: ConsentGrant) -> bool:
    """The contract and compensation of this grant (and of the decision facts that contain it)."""
    return scope.grants_confidential_to(user).filter(pk=grant.pk).exists()


# ----- productions and the gate -------------------------------------------------------------------------------

PRODUCTION_EDITORS = frozenset({Role.LEGAL, Role.ADMIN})


def may_change_production(user: User | Reach, studio_id: int) -> bool:
    return studio_id in _reach(user).orgs(PRODUCTION_EDITORS)


def may_see_productions(user: User | Reach) -> bool:
    """The productions pages: a studio's staff (legal, admins, VFX), each for their own studio's productions."""
    return scope.studios_of(user).exists()


def may_create_production(user: User | Reach) -> bool:
    """Legal or an admin of at least one studio (the production is created for one of those studios)."""
    return scope.studios_of(user, PRODUCTION_EDITORS).exists()


def may_ask_gate(user: User | Reach) -> bool:
    """Whole-role check for the what-if: reps, legal and VFX staff (the inputs are bound separately)."""
    return bool(_reach(user).roles & (CONSENT_ROLES | VFX_ROLES))


def may_ask_gate_about(user: User | Reach, performer: Performer, production: Production) -> bool:
    reach = _reach(user)
    return (may_ask_gate(reach) and scope.performers_usable_by(reach).filter(pk=performer.pk).exists()
            and scope.productions_for_gate(reach, performer).filter(pk=production.pk).exists())


# ----- jobs, previews, outputs --------------------------------------------------------------------------------

def may_request_jobs(user: User | Reach, production: Production) -> bool:
    return production.studio_id in _reach(user).vfx_orgs


def may_cancel_job(user: User | Reach, job: Job) -> bool:
    return job.production.studio_id in _reach(user).vfx_orgs


def may_release_job(user: User | Reach, job: Job) -> bool:
    return job.production.studio_id in _reach(user).studio_orgs


def may_stop_preview(user: User | Reach, session: PreviewSession) -> bool:
    return session.production.studio_id in _reach(user).vfx_orgs


def may_approve_output(user: User | Reach, output: Output) -> bool:
    return may_bind_performer(user, output.performer)



# ----- organisations, memberships, engagements, audit ---------------------------------------------------------

def may_manage_members(user: User | Reach, organisation: Organisation) -> bool:
    reach = _reach(user)
    return reach.operator or organisation.pk in reach.orgs(frozenset({Role.ADMIN}))


def may_manage_any_members(user: User | Reach) -> bool:
    """The members pages: an operator, or an admin of some organisation."""
    reach = _reach(user)
    return reach.operator or bool(reach.orgs(frozenset({Role.ADMIN})))


def may_assign_role(user: User | Reach, organisation: Organisation, role: str) -> bool:
    """An admin hands out only roles whose reach stays inside the organisation (never the auditor role outside
    an audit firm, and an auditor there reads nothing until an audited organisation grants an engagement)."""
    return may_manage_members(user, organisation) and role in assignable_roles(organisation.kind)


def may_grant_engagement(user: User | Reach, organisations: Iterable[Organisation],
                         performers: Iterable[Performer]) -> bool:
    """Operators grant any scope. An organisation's admin grants one over that organisation only, and over
    performers it represents."""
    reach = _reach(user)
    if reach.operator:
        return True
    admin_orgs = reach.orgs(frozenset({Role.ADMIN}))
    if not admin_orgs:
        return False
    if any(o.pk not in admin_orgs for o in organisations):
        return False
    represented = set(Representation.objects.filter(organisation_id__in=admin_orgs)
                      .values_list("performer_id", flat=True))
    return all(p.pk in represented for p in performers)


def may_read_audit_trail(user: User | Reach) -> bool:
    reach = _reach(user)
    return reach.operator or bool(reach.engagement_ids)


def studio_staff(user: User | Reach) -> bool:
    return bool(_reach(user).roles & STUDIO_ROLES)


def may_see_platform_health(user: User | Reach) -> bool:
    """Workers, queues, keys and disks are the operators' to watch (they run the platform for everyone)."""
    return _reach(user).operator
