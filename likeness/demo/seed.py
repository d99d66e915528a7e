"""Demo data. Everything goes through the services, so the demo's audit trail is a real one."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from likeness.consent.models import ConsentGrant
from likeness.consent.services import grant_approve, grant_draft_create, grant_submit
from likeness.demo.authenticator import demo_device_create, sign_in_second_factor
from likeness.demo.pdf import contract_pdf
from likeness.organisations.models import Organisation, OrganisationKind, Role
from likeness.organisations.services import audit_engagement_grant, membership_create, organisation_create
from likeness.people.services import performer_create, reference_material_create, representation_create
from likeness.policy import vocabulary as vocab
from likeness.productions.services import production_create

DEMO_PASSWORD = "likeness-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    organisation: str
    description: str


STUDIO, AGENCY, LAW, AUDIT = "Northlight Pictures", "Brightside Talent", "Keller & Amari LLP", "Ledger Assurance"
ACCOUNTS = (
    DemoAccount("rep", Role.TALENT_REP, AGENCY, "talent rep: drafts consent for Avery Quinn"),
    DemoAccount("counsel", Role.LEGAL, LAW, "the performer's counsel: approves and revokes consent"),
    DemoAccount("studio_legal", Role.LEGAL, STUDIO, "studio legal: productions, labour-action flag"),
    DemoAccount("vfx", Role.VFX_ARTIST, STUDIO, "VFX artist: asks the gate, requests jobs"),
    DemoAccount("supervisor", Role.VFX_SUPERVISOR, STUDIO, "VFX supervisor: registers reference footage"),
    DemoAccount("auditor", Role.AUDITOR, AUDIT, "auditor: reads what its engagement covers, changes nothing"),
    DemoAccount("studio_admin", Role.ADMIN, STUDIO, "studio admin: manages the studio's members"),
)

# The accounts that approve or revoke consent and approve outputs: they get a demo authenticator.
BINDING_ACCOUNTS = frozenset({"rep", "counsel"})


@transaction.atomic
def seed_demo() -> bool:
    """Create the demo data once. Returns False when it was already there."""
    if Organisation.objects.filter(name=STUDIO).exists():
        return False
    User = get_user_model()
    operator = User.objects.create_superuser("operator", "operator@example.test", DEMO_PASSWORD)
    kinds = {STUDIO: OrganisationKind.STUDIO, AGENCY: OrganisationKind.AGENCY, LAW: OrganisationKind.LAW_FIRM,
             AUDIT: OrganisationKind.AUDIT_FIRM}
    orgs = {name: organisation_create(name=name, kind=kind, by=operator) for name, kind in kinds.items()}
    users = {}
    for account in ACCOUNTS:
        user = User.objects.create_user(account.username, f"{account.username}@example.test", DEMO_PASSWORD)
        membership_create(user=user, organisation=orgs[account.organisation], role=account.role, by=operator)
        if account.username in BINDING_ACCOUNTS:
            demo_device_create(user)
        users[account.username] = user

    performer = performer_create(by=users["rep"], representing=orgs[AGENCY], legal_name="Avery Quinn",
                                 date_of_birth=dt.date(1961, 4, 12), domicile="US-CA",
                                 union_memberships=[vocab.Union.SAG_AFTRA])
    representation_create(performer=performer, organisation=orgs[LAW], kind="counsel", by=users["rep"])
    production = production_create(by=users["studio_legal"], title="Here and Then", studio=orgs[STUDIO],
                                   agreement=vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026,
                                   jurisdictions=["US-CA"], release_territories=["US", "GB", "FR"],
                                   release_media=[vocab.Medium.THEATRICAL, vocab.Medium.STREAMING])
    production_create(by=users["studio_legal"], title="Here and Then 2", studio=orgs[STUDIO],
                      agreement=vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026, jurisdictions=["US-CA"],
                      release_territories=["US"], release_media=[vocab.Medium.THEATRICAL])
    now = timezone.now()
    grant = grant_draft_create(
        performer=performer, productions=[production], by=users["rep"],
        uses=[vocab.Use.TRAINING, vocab.Use.DE_AGING, vocab.Use.REALTIME_PREVIEW],
        depicted_age_min=25, depicted_age_max=45,
        media=[vocab.Medium.THEATRICAL, vocab.Medium.STREAMING, vocab.Medium.ON_SET_MONITOR],
        territories=[vocab.WORLDWIDE], term_start=now.date(), term_end=now.date() + dt.timedelta(days=3 * 365),
        replica_types=[vocab.ReplicaType.DIGITAL_ALTERATION, vocab.ReplicaType.ICDR],
        prohibited_content=[vocab.ContentTag.NUDITY, vocab.ContentTag.SEXUAL_CONTENT, vocab.ContentTag.POLITICAL],
        use_description=("De-age Avery Quinn's on-set performance in 'Here and Then' to depicted ages 25 to 45 with a "
                         "model trained on frames of Harbour Lights, The Long Field and Northbound, for the "
                         "flashback scenes of reels 2 and 5 only."),
        description_given_at=now - dt.timedelta(days=7), represented_by_counsel=True,
        union_agreement_covers_replicas=True, separately_signed=True, notice_given_at=now - dt.timedelta(days=7),
        biometric_consent_explicit=True, compensation_terms="Scale plus 40% per day of replica use; 6 days "
                                                            "estimated.",
        compensation_days_estimate=6,
    )
    grant_submit(grant=grant, document=io.BytesIO(contract_pdf("Avery Quinn consent v1")), by=users["rep"])
    sign_in_second_factor(users["counsel"])
    grant_approve(grant=grant, by=users["counsel"])
    assert ConsentGrant.objects.get(pk=grant.pk).status == "active"
    # The studio registers its footage once an active consent ties the performer to its production.
    for title, year, age in (("Harbour Lights", 1986, 25), ("The Long Field", 1994, 33), ("Northbound", 2003, 42)):
        reference_material_create(performer=performer, title=title, year=year, performer_age=age,
                                  rights_basis="studio_owned", by=users["supervisor"],
                                  sha256=hashlib.sha256(title.encode()).hexdigest())
    # The auditor reads what an engagement covers: the operator grants one over the demo's organisations.
    audit_engagement_grant(audit_firm=orgs[AUDIT], organisations=[orgs[STUDIO], orgs[AGENCY], orgs[LAW]],
                           performers=[performer], period_start=now.date() - dt.timedelta(days=365),
                           period_end=now.date() + dt.timedelta(days=3 * 365), starts_on=now.date(),
                           ends_on=now.date() + dt.timedelta(days=3 * 365),
                           purpose="Annual consent and provenance audit of the demo productions", by=operator)
    return True
