"""Demo data. Everything goes through the services, so the demo's audit trail is a real one.

`seed_demo` runs any number of times, on a fresh database or one the app has been used on: each piece of the
demo world is looked up first and made only when it is missing (an account, a membership removed through the
app, a consent revoked since, the reference footage), and what exists is reused as it is. What cannot be
repaired without undoing someone's work (an authenticator a demo person replaced with their own) is a
`DemoError` with one line saying so.
"""
from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from likeness.common import vocabulary as vocab
from likeness.common.hashing import sha256_stream
from likeness.consent.models import GrantStatus
from likeness.consent.services import grant_approve, grant_draft_create, grant_submit
from likeness.demo.authenticator import DEMO_KEY, demo_device_create, sign_in_second_factor
from likeness.demo.pdf import contract_pdf
from likeness.organisations.models import AuditEngagement, Membership, Organisation, OrganisationKind, Role
from likeness.organisations.services import audit_engagement_grant, membership_create, organisation_create
from likeness.people.models import Performer, ReferenceMaterial, Representation
from likeness.people.services import performer_create, reference_material_create, representation_create
from likeness.policy.gate import evaluate
from likeness.policy.outcomes import Outcome
from likeness.policy.requests import gate_request_build
from likeness.policy.selectors import gate_facts
from likeness.productions.models import Production
from likeness.productions.services import production_create

DEMO_PASSWORD = "likeness-demo-2026"


class DemoError(Exception):
    """The demo cannot go on in this database; the message says why in one line, and what to do."""


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    organisation: str
    description: str


STUDIO, AGENCY, LAW, AUDIT = "Northlight Pictures", "Brightside Talent", "Keller & Amari LLP", "Ledger Assurance"
KINDS = {STUDIO: OrganisationKind.STUDIO, AGENCY: OrganisationKind.AGENCY, LAW: OrganisationKind.LAW_FIRM,
         AUDIT: OrganisationKind.AUDIT_FIRM}
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

PERFORMER_NAME = "Avery Quinn"
PERFORMER_BORN = dt.date(1961, 4, 12)
PRODUCTION, SEQUEL = "Here and Then", "Here and Then 2"
ENGAGEMENT_PURPOSE = "Annual consent and provenance audit of the demo productions"


@dataclass(frozen=True)
class DemoFootage:
    """One of the demo performer's 'earlier films': a clip of the synthetic performer rendered at that age."""

    title: str
    year: int
    age: int
    clip_seed: int


# The synthetic performer at the ages the consent's use description names (clip seeds as the chain has always
# rendered them, so a database where the chain made these clips before finds the same files by SHA-256).
FOOTAGE = (DemoFootage("Harbour Lights", 1986, 25, 20), DemoFootage("The Long Field", 1994, 33, 21),
           DemoFootage("Northbound", 2003, 42, 22))
CLIP_FRAMES, CLIP_SIZE = 24, 256
SYNTHETIC_PERFORMER_SEED = 1


def render_synthetic_clip(path: Path, *, age: float, seed: int, frames: int = CLIP_FRAMES,
                          size: int = CLIP_SIZE) -> Path:
    """An H.264 clip of the engine's synthetic performer at `age` (a second or so on a CPU): footage the engine
    finds a face in and can train on, as a real earlier film would be."""
    from engine import synthetic  # lazily: torch-free, but numpy and OpenCV are not needed by every command
    from engine.media import FrameWriter

    performer = synthetic.SyntheticPerformer(SYNTHETIC_PERFORMER_SEED)
    rendered = synthetic.render_clip(performer, age, synthetic.clip_params(seed, frames), (size, size))
    with FrameWriter(path, width=size, height=size, fps=Fraction(24)) as writer:
        for r in rendered:
            writer.write(r.image)
    return path


# --- looking the demo world up ---------------------------------------------------------------------------------

def demo_performer() -> Performer | None:
    """The demo's performer: the Avery Quinn the demo agency represents (the app may hold others of that name)."""
    return (Performer.objects.filter(legal_name=PERFORMER_NAME, representations__organisation__name=AGENCY)
            .order_by("pk").first())


def demo_production(title: str = PRODUCTION) -> Production | None:
    return Production.objects.filter(title=title, studio__name=STUDIO).order_by("pk").first()


def demo_users() -> dict[str, Any]:
    names = ["operator", *(a.username for a in ACCOUNTS)]
    return {u.username: u for u in get_user_model().objects.filter(username__in=names)}


# --- making what is missing ------------------------------------------------------------------------------------

@dataclass
class _Seeding:
    say: Callable[[str], None]
    made: int = 0

    def note(self, line: str) -> None:
        self.made += 1
        self.say(f"  {line}")


def _operator(s: _Seeding) -> Any:
    User = get_user_model()
    operator = User.objects.filter(username="operator").first()
    if operator is None:
        operator = User.objects.create_superuser("operator", "operator@example.test", DEMO_PASSWORD)
        s.note("account operator")
    elif not operator.is_superuser:
        raise DemoError("the account 'operator' exists but is not a superuser, so the demo cannot act as the "
                        "platform's operator: use a fresh database (LIKENESS_VAR_DIR) or make it one in /admin/")
    return operator


@transaction.atomic
def _people(s: _Seeding) -> dict[str, Any]:
    """Organisations, accounts, their memberships and authenticators, the performer and who represents them."""
    operator = _operator(s)
    orgs: dict[str, Organisation] = {}
    for name, kind in KINDS.items():
        org = Organisation.objects.filter(name=name).first()
        if org is None:
            org = organisation_create(name=name, kind=kind, by=operator)
            s.note(f"organisation {name}")
        elif org.kind != kind:
            raise DemoError(f"the organisation {name!r} exists as a {org.get_kind_display().lower()}, where the demo "
                            f"needs a {OrganisationKind(kind).label.lower()}: use a fresh database (LIKENESS_VAR_DIR)")
        orgs[name] = org
    User = get_user_model()
    users: dict[str, Any] = {"operator": operator}
    for account in ACCOUNTS:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = User.objects.create_user(account.username, f"{account.username}@example.test", DEMO_PASSWORD)
            s.note(f"account {account.username}")
        org = orgs[account.organisation]
        if not Membership.objects.filter(user=user, organisation=org, role=account.role).exists():
            membership_create(user=user, organisation=org, role=account.role, by=operator)
            s.note(f"{account.username}: {Role(account.role).label.lower()} at {org}")
        if account.username in BINDING_ACCOUNTS and not TOTPDevice.objects.filter(user=user, key=DEMO_KEY).exists():
            demo_device_create(user)
            s.note(f"{account.username}: demo authenticator")
        users[account.username] = user

    performer = demo_performer()
    if performer is None:
        performer = performer_create(by=users["rep"], representing=orgs[AGENCY], legal_name=PERFORMER_NAME,
                                     date_of_birth=PERFORMER_BORN, domicile="US-CA",
                                     union_memberships=[vocab.Union.SAG_AFTRA])
        s.note(f"performer {PERFORMER_NAME}")
    if not Representation.objects.filter(performer=performer, organisation=orgs[LAW], kind="counsel").exists():
        representation_create(performer=performer, organisation=orgs[LAW], kind="counsel", by=users["rep"])
        s.note(f"{LAW} as {PERFORMER_NAME}'s counsel")
    productions = {}
    for title, territories, media in (
            (PRODUCTION, ["US", "GB", "FR"], [vocab.Medium.THEATRICAL, vocab.Medium.STREAMING]),
            (SEQUEL, ["US"], [vocab.Medium.THEATRICAL])):
        production = demo_production(title)
        if production is None:
            production = production_create(by=users["studio_legal"], title=title, studio=orgs[STUDIO],
                                           agreement=vocab.Agreement.SAG_AFTRA_TV_THEATRICAL_2026,
                                           jurisdictions=["US-CA"], release_territories=territories,
                                           release_media=media)
            s.note(f"production {title}")
        productions[title] = production
    return {"orgs": orgs, "users": users, "performer": performer, "productions": productions}


def _demo_uses_refused(performer: Performer, production: Production) -> str | None:
    """Why the gate would refuse the demo's training or its de-aging to 30 now, or None when it allows both.

    The gate itself answers (a pure evaluation: nothing is stored), so a consent the app revoked, amended to
    narrower terms or let expire reads as missing, whatever the grants' rows say."""
    from likeness.jobs.gating import AGING_REPLICA_TYPES, TRAINING_REPLICA_TYPES

    facts = gate_facts(performer=performer, production=production)
    requests = (
        gate_request_build(performer=performer, production=production, use=vocab.Use.TRAINING,
                           replica_types=TRAINING_REPLICA_TYPES),
        gate_request_build(performer=performer, production=production, use=vocab.Use.DE_AGING, depicted_age=30,
                           media=list(production.release_media), territories=list(production.release_territories),
                           replica_types=AGING_REPLICA_TYPES),
    )
    for request in requests:
        result = evaluate(request, facts)
        if not Outcome(result.outcome).permits:
            return result.explanation
    return None


def _consent(s: _Seeding, world: dict[str, Any]) -> None:
    """A consent in force that covers the demo's uses: the one on file, or a new one drafted, signed and approved
    (after the app revoked the earlier one, for instance)."""
    performer, production, users = world["performer"], world["productions"][PRODUCTION], world["users"]
    refused = _demo_uses_refused(performer, production)
    if refused is None:
        return
    now = timezone.now()
    with transaction.atomic():
        grant = grant_draft_create(
            performer=performer, productions=[production], by=users["rep"],
            uses=[vocab.Use.TRAINING, vocab.Use.DE_AGING, vocab.Use.REALTIME_PREVIEW],
            depicted_age_min=25, depicted_age_max=45,
            media=[vocab.Medium.THEATRICAL, vocab.Medium.STREAMING, vocab.Medium.ON_SET_MONITOR],
            territories=[vocab.WORLDWIDE], term_start=now.date(), term_end=now.date() + dt.timedelta(days=3 * 365),
            replica_types=[vocab.ReplicaType.DIGITAL_ALTERATION, vocab.ReplicaType.ICDR],
            prohibited_content=[vocab.ContentTag.NUDITY, vocab.ContentTag.SEXUAL_CONTENT, vocab.ContentTag.POLITICAL],
            use_description=("De-age Avery Quinn's on-set performance in 'Here and Then' to depicted ages 25 to 45 "
                             "with a model trained on frames of Harbour Lights, The Long Field and Northbound, for "
                             "the flashback scenes of reels 2 and 5 only."),
            description_given_at=now - dt.timedelta(days=7), represented_by_counsel=True,
            union_agreement_covers_replicas=True, separately_signed=True, notice_given_at=now - dt.timedelta(days=7),
            biometric_consent_explicit=True, compensation_terms="Scale plus 40% per day of replica use; 6 days "
                                                                "estimated.",
            compensation_days_estimate=6,
        )
        grant = grant_submit(grant=grant, document=io.BytesIO(contract_pdf(f"{PERFORMER_NAME} consent")),
                             by=users["rep"])
        act_as(users["counsel"])
        grant = grant_approve(grant=grant, by=users["counsel"])
    if grant.status != GrantStatus.ACTIVE:
        raise DemoError(f"the demo consent {grant.label} was approved but is {grant.status}, not active")
    first = not performer.consent_grants.exclude(pk=grant.pk).exists()
    s.note(f"consent {grant.label}, active" + ("" if first else f" (no consent in force covered the demo: {refused})"))
    still = _demo_uses_refused(performer, production)
    if still is not None:
        # Consent is there; something else forbids the use (a labour action flagged on the production, say).
        s.say(f"  note: the gate still refuses the demo's jobs for {production.title}: {still}")


def act_as(user: Any) -> None:
    """Prove a demo person's second factor before a binding act, or stop with one line (DemoError)."""
    try:
        sign_in_second_factor(user)
    except ImproperlyConfigured as exc:
        raise DemoError(str(exc)) from exc


def _clip_for(footage: DemoFootage, folder: Path, variant: int) -> tuple[Path, str]:
    # A variant renders other motion of the same performer at the same age: new footage, another SHA-256.
    path = render_synthetic_clip(folder / f"{footage.title.lower().replace(' ', '-')}-{variant}.mp4",
                                 age=footage.age, seed=footage.clip_seed + 100 * variant)
    with open(path, "rb") as fh:
        return path, sha256_stream(fh)


def _footage(s: _Seeding, world: dict[str, Any]) -> list[ReferenceMaterial]:
    """The demo's reference footage, each with its file: what a training job (from the chain or the browser)
    reads. Existing records are reused: one with the title and a file, or one the app registered with the same
    file (same SHA-256) and age. A record of the same footage without its file cannot take one afterwards (its
    SHA-256 is its identity), so other motion of the performer at that age is rendered instead."""
    performer, supervisor = world["performer"], world["users"]["supervisor"]
    materials = []
    with tempfile.TemporaryDirectory(prefix="likeness-demo-footage-") as tmp:
        for footage in FOOTAGE:
            material = (ReferenceMaterial.objects.filter(performer=performer, title=footage.title)
                        .exclude(file="").order_by("pk").first())
            variant = 0
            while material is None:
                path, sha = _clip_for(footage, Path(tmp), variant)
                same = ReferenceMaterial.objects.filter(performer=performer, sha256=sha).first()
                if same is not None and same.file and same.performer_age == footage.age:
                    material = same  # the same clip, registered through the app under its own title
                elif same is not None:
                    variant += 1
                    if variant > 3:
                        raise DemoError(f"footage of {PERFORMER_NAME} at {footage.age} is registered without its "
                                        f"file as {same.title!r}, and so are its variants: use a fresh database")
                else:
                    with open(path, "rb") as handle:
                        material = reference_material_create(
                            performer=performer, title=footage.title, year=footage.year, performer_age=footage.age,
                            rights_basis="studio_owned", by=supervisor, file=handle)
                    s.note(f"reference footage {footage.title} ({footage.year}, age {footage.age}), "
                           f"sha256 {material.sha256[:16]}…")
            materials.append(material)
    return materials


def demo_footage() -> list[ReferenceMaterial]:
    """The demo's reference footage as the seed left it (for the chain): filed records of the seeded titles,
    else of the same clips registered under other titles."""
    performer = demo_performer()
    if performer is None:
        return []
    s = _Seeding(say=lambda _: None)
    return _footage(s, {"performer": performer, "users": demo_users()})


def _engagement(s: _Seeding, world: dict[str, Any]) -> None:
    """The auditor reads what an engagement covers: the operator grants one over the demo's organisations."""
    orgs, performer, today = world["orgs"], world["performer"], timezone.now().date()
    in_force = AuditEngagement.objects.filter(audit_firm=orgs[AUDIT], revoked_at__isnull=True, starts_on__lte=today,
                                              ends_on__gte=today, organisations=orgs[STUDIO])
    if in_force.exists():
        return
    audit_engagement_grant(audit_firm=orgs[AUDIT], organisations=[orgs[STUDIO], orgs[AGENCY], orgs[LAW]],
                           performers=[performer], period_start=today - dt.timedelta(days=365),
                           period_end=today + dt.timedelta(days=3 * 365), starts_on=today,
                           ends_on=today + dt.timedelta(days=3 * 365), purpose=ENGAGEMENT_PURPOSE,
                           by=world["users"]["operator"])
    s.note(f"audit engagement of {AUDIT} over the demo's organisations")


def seed_demo(say: Callable[[str], None] | None = None) -> bool:
    """Create whatever part of the demo data is missing; `say` hears one line per thing made. Returns whether
    anything was made (False: the demo data was all there)."""
    s = _Seeding(say=say or (lambda _: None))
    world = _people(s)
    # The studio registers its footage once an active consent ties the performer to its production.
    _consent(s, world)
    _footage(s, world)
    _engagement(s, world)
    return s.made > 0
