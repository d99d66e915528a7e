"""Statutes: California, New York, Tennessee, the EU AI Act, GDPR, and the NO FAKES bill (selectable)."""
from __future__ import annotations

import datetime as dt

from likeness.common import vocabulary as vocab
from likeness.policy.facts import GrantFacts, anniversary
from likeness.policy.outcomes import Finding, Severity
from likeness.policy.rules.base import RuleContext, description_is_specific, labels, rule

Use, RT = vocab.Use, vocab.ReplicaType
IN_FORCE_2025 = dt.date(2025, 1, 1)
# The official texts: the legislatures' own code pages, Tennessee's published act, EUR-Lex.
CA_LAB_927_URL = "https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=LAB&sectionNum=927"
CA_CIV_3344_1_URL = "https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=CIV&sectionNum=3344.1"
NY_GOB_5_302_URL = "https://www.nysenate.gov/legislation/laws/GOB/5-302"
NY_CRL_50_F_URL = "https://www.nysenate.gov/legislation/laws/CVR/50-F"
NY_GBL_396_B_URL = "https://www.nysenate.gov/legislation/laws/GBS/396-B"
TN_ELVIS_URL = "https://publications.tnsosfiles.com/acts/113/pub/pc0588.pdf"
EU_AI_ACT_URL = "https://eur-lex.europa.eu/eli/reg/2024/1689/oj"
GDPR_URL = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"


def _statute_replica(ctx: RuleContext) -> str | None:
    """Why the use is a "digital replica" as § 927(c) and § 5-302 define it, or None.

    Both define it as "a computer-generated, highly realistic electronic representation that is readily
    identifiable as the voice or visual likeness of an individual that is embodied in a sound recording, image,
    audiovisual work, or transmission in which the actual individual either did not actually perform or appear,
    or the actual individual did perform or appear, but the fundamental character of the performance or
    appearance has been materially altered".
    A replica in place of a performance (EBDR, ICDR) is the first limb. Changing the performer's age in their own
    performance is the second: it alters the character of the appearance, never a cosmetic touch-up (SAG-AFTRA
    TV/Theatrical 2023, digital alteration: age changes are not cosmetic)."""
    if {RT.EBDR, RT.ICDR} & set(ctx.request.replica_types):
        return "a replica of the performer in work they did not perform"
    if ctx.request.use == Use.DIGITAL_REPLICA or ctx.request.use == Use.SYNTHETIC_PERFORMER:
        return "a replica of the performer in work they did not perform"
    if ctx.request.use in vocab.AGE_CHANGE_USES:
        return "a performance whose fundamental character is materially altered (the performer's age is changed)"
    return None


def _on_file(grant: GrantFacts) -> str:
    held = [what for what, present in (("a reasonably specific description", description_is_specific(grant)),
                                       ("counsel", grant.represented_by_counsel),
                                       ("a union agreement covering replicas", grant.union_agreement_covers_replicas))
            if present]
    return f"{grant.label}: " + " and ".join(held)


def _contract_check(ctx: RuleContext, statute: str) -> Finding | None:
    why = _statute_replica(ctx)
    # The statutes reach new performances fixed on or after 1 Jan 2025, whenever the contract was signed.
    if why is None or ctx.request.fixed_on < IN_FORCE_2025:
        return None
    unenforceable = [g for g in ctx.grants if not description_is_specific(g)
                     and not (g.represented_by_counsel or g.union_agreement_covers_replicas)]
    if unenforceable:
        return Finding(Severity.DENY, f"under {statute} the use is {why}, and the provision of "
                                      f"{labels(unenforceable)} is unenforceable: no reasonably specific description "
                                      "of the use, and the performer had neither counsel nor a union agreement "
                                      "covering replicas")
    return Finding(Severity.INFO, f"{statute} applies ({why}; performance fixed on {ctx.request.fixed_on}); on file: "
                                  + "; ".join(_on_file(g) for g in ctx.grants))


@rule(id="CA-LAB-927", title="Replica provisions need a description or representation",
      source="California Labor Code § 927 (AB 2602), from 1 Jan 2025", source_url=CA_LAB_927_URL,
      source_kind="primary", regimes={"CA"},
      applies_when="a digital replica of a performance fixed from 1 Jan 2025: a replica in work the performer did not "
                   "perform, or their own performance materially altered (an age change always is)",
      requires="a reasonably specific description, or counsel, or a union agreement covering replicas",
      outcome="deny if the description and the representation are both missing")
def ca_927(ctx: RuleContext) -> Finding | None:
    return _contract_check(ctx, "California Labor Code 927")


@rule(id="NY-GOB-5-302", title="Replica provisions need a description or representation",
      source="New York General Obligations Law § 5-302, from 1 Jan 2025", source_url=NY_GOB_5_302_URL,
      source_kind="primary", regimes={"NY"},
      applies_when="a digital replica of a performance fixed from 1 Jan 2025: a replica in work the performer did not "
                   "perform, or their own performance materially altered (an age change always is)",
      requires="a reasonably specific description, or counsel, or a union agreement covering replicas",
      outcome="deny if the description and the representation are both missing")
def ny_5302(ctx: RuleContext) -> Finding | None:
    return _contract_check(ctx, "New York General Obligations Law 5-302")


def _deceased_output(ctx: RuleContext) -> bool:
    return ctx.deceased and ctx.request.use in vocab.OUTPUT_USES


@rule(id="CA-CIV-3344.1", title="Replica of a deceased personality", source="California Civil Code § 3344.1 "
      "(AB 1836), from 1 Jan 2025", source_url=CA_CIV_3344_1_URL, source_kind="primary", regimes={"CA"},
      applies_when="a replica of a deceased personality in an audiovisual work, within 70 years of death",
      requires="prior consent of the rights holder (estate)", outcome="deny")
def ca_3344_1(ctx: RuleContext) -> Finding | None:
    if not _deceased_output(ctx):
        return None
    died = ctx.facts.performer.date_of_death
    assert died is not None
    # "Within 70 years of death", counted by calendar: the window's last day is the 70th anniversary.
    window_end = anniversary(died, 70)
    if ctx.day > window_end:
        return None
    missing = ctx.failing(lambda g: g.estate_consent)
    if missing:
        return Finding(Severity.DENY, f"the performer died on {died}, within 70 years (the window ends on "
                                      f"{window_end}); {labels(missing)} has no consent of the estate for a deceased "
                                      "personality")
    return Finding(Severity.INFO, f"the performer died on {died}; the 70-year window ends on {window_end}; estate "
                                  "consent on file")


@rule(id="NY-CRL-50-F", title="Deceased performer's replica", source="New York Civil Rights Law § 50-f, "
      "as amended Dec 2025", source_url=NY_CRL_50_F_URL, source_kind="secondary", regimes={"NY"},
      applies_when="commercial use of a deceased person's replica",
      requires="written consent of heirs or executors", outcome="deny")
def ny_50f(ctx: RuleContext) -> Finding | None:
    if not _deceased_output(ctx):
        return None
    missing = ctx.failing(lambda g: g.estate_consent)
    if missing:
        return Finding(Severity.DENY, f"{labels(missing)} has no written consent of the heirs or executors")
    return Finding(Severity.INFO, "heirs' written consent on file")


@rule(id="NY-GBL-396-B", title="Synthetic performers in advertising", source="New York General Business Law "
      "§ 396-b, from 9 Jun 2026", source_url=NY_GBL_396_B_URL, source_kind="secondary", regimes={"NY"},
      applies_when="a synthetic performer appears in an advertisement", requires="conspicuous disclosure",
      outcome="allow with obligation: label")
def ny_396b(ctx: RuleContext) -> Finding | None:
    if ctx.request.use != Use.SYNTHETIC_PERFORMER or vocab.Medium.ADVERTISING not in ctx.request.media:
        return None
    return Finding(Severity.OBLIGATION, "disclose conspicuously that the advertisement uses a synthetic performer",
                   "label")


@rule(id="TN-ELVIS", title="Voice and likeness need authorisation", source="Tennessee ELVIS Act (Public Chapter "
      "588), from 1 Jul 2024", source_url=TN_ELVIS_URL, source_kind="secondary", regimes={"TN"},
      applies_when="a performer's voice or likeness is used",
      requires="authorisation on file (a signed document); after death, the heirs' authorisation",
      outcome="deny")
def tn_elvis(ctx: RuleContext) -> Finding | None:
    unsigned = ctx.failing(lambda g: bool(g.document_sha256))
    if unsigned:
        return Finding(Severity.DENY, f"{labels(unsigned)} has no signed authorisation on file")
    if ctx.deceased:
        missing = ctx.failing(lambda g: g.estate_consent)
        if missing:
            return Finding(Severity.DENY, f"the performer has died; {labels(missing)} has no heirs' authorisation")
    return Finding(Severity.INFO, "signed authorisation on file")


def _published_output(ctx: RuleContext) -> bool:
    return ctx.request.use in vocab.OUTPUT_USES and any(m != vocab.Medium.ON_SET_MONITOR for m in ctx.request.media)


@rule(id="EU-AIA-50-2", title="Machine-readable marking of AI output", source="EU AI Act (Regulation 2024/1689) "
      "Art 50(2), from 2 Aug 2026", source_url=EU_AI_ACT_URL, source_kind="primary", regimes={"EU-AIA"},
      applies_when="output of a generative system",
      requires="machine-readable marking that the content is AI-generated (C2PA manifest with the AI digital "
               "source type)", outcome="obligation: sign with the AI digital source type")
def eu_50_2(ctx: RuleContext) -> Finding | None:
    if ctx.request.use not in vocab.OUTPUT_USES:
        return None
    return Finding(Severity.OBLIGATION, "sign the output with C2PA Content Credentials marking it AI-generated",
                   "c2pa_ai_marking")


@rule(id="EU-AIA-50-4", title="Deep fake disclosure", source="EU AI Act (Regulation 2024/1689) Art 50(4)",
      source_url=EU_AI_ACT_URL, source_kind="primary", regimes={"EU-AIA"}, applies_when="a deep fake is published in the EU",
      requires="disclose that it is AI-generated; for artistic works in a way that does not spoil them (credits)",
      outcome="allow with obligation: disclosure")
def eu_50_4(ctx: RuleContext) -> Finding | None:
    if not _published_output(ctx):
        return None
    return Finding(Severity.OBLIGATION, "disclose the AI alteration (for an artistic work, in the credits)",
                   "ai_disclosure")


@rule(id="GDPR-9", title="Explicit consent to biometric processing", source="GDPR (Regulation 2016/679) Art 9(2)(a)",
      source_url=GDPR_URL, source_kind="primary", regimes={"GDPR"},
      applies_when="biometric processing of a person in the EEA or UK (training, face alteration)",
      requires="explicit consent for the specific purpose", outcome="deny")
def gdpr_9(ctx: RuleContext) -> Finding | None:
    missing = ctx.failing(lambda g: g.biometric_consent_explicit)
    if missing:
        return Finding(Severity.DENY, f"{labels(missing)} records no explicit consent to biometric processing")
    return Finding(Severity.INFO, "explicit biometric consent on file")


@rule(id="GDPR-7", title="Consent proven; withdrawal stops processing", source="GDPR (Regulation 2016/679) "
      "Art 7(1), 7(3)", source_url=GDPR_URL, source_kind="primary", regimes={"GDPR"},
      applies_when="processing under consent, and when consent is withdrawn",
      requires="proof that consent was given (a signed document on file); no new processing once withdrawn",
      outcome="deny new processing at once")
def gdpr_7(ctx: RuleContext) -> Finding | None:
    unproven = ctx.failing(lambda g: bool(g.document_sha256))
    if unproven:
        return Finding(Severity.DENY, f"{labels(unproven)} has no signed document proving consent")
    return Finding(Severity.INFO, "signed consent document on file")


@rule(id="US-NOFAKES", title="Licence term limit (bill)", source="NO FAKES Act (US bill, not law; selectable pack)",
      source_kind="bill", regimes={"US-NOFAKES"}, applies_when="the US-NOFAKES pack is selected",
      requires="a licence of at most 10 years (5 for minors)", outcome="deny")
def nofakes(ctx: RuleContext) -> Finding | None:
    limit = 5 if ctx.performer_age < 18 else 10
    too_long = [g for g in ctx.grants if g.term_end is None or g.term_start is None
                or (g.term_end - g.term_start).days > limit * 365.25 + 1]
    if too_long:
        return Finding(Severity.DENY, f"{labels(too_long)} runs longer than {limit} years or has no end date")
    return Finding(Severity.INFO, f"licence within {limit} years")
