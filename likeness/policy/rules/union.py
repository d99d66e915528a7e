"""Union agreement rules (SAG-AFTRA 2023/2026, Interactive Media 2025, Commercials 2025, Equity UK)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from likeness.common import vocabulary as vocab
from likeness.policy.facts import GrantFacts
from likeness.policy.outcomes import Finding, Severity
from likeness.policy.rules.base import (
    MIN_DESCRIPTION_WORDS,
    RuleContext,
    description_is_specific,
    labels,
    rule,
)
from likeness.policy.rules.platform import estate_finding

Use, RT = vocab.Use, vocab.ReplicaType
SAG23 = "SAG-AFTRA TV/Theatrical 2023, AI provisions (union summary)"
SAG26 = "SAG-AFTRA TV/Theatrical 2026 (ratified June 2026; term 1 Jul 2026 - 30 Jun 2030), press summaries"
NOTICE_HOURS = 48
REALTIME_MIN_SCALE = Decimal("7.5")
# Reasons SAG23-ALTERATION accepts for altering without consent. Age changes are never among them.
ORDINARY_POST = frozenset({"cosmetic", "wardrobe", "noise_reduction", "continuity", "colour", "as_scripted"})


def _replica(ctx: RuleContext) -> bool:
    return bool(ctx.request.replica_types) or ctx.request.use in vocab.OUTPUT_USES


@rule(id="SAG23-NOTICE", title="Notice before creating an EBDR", source=SAG23, source_kind="primary",
      regimes={"SAG23"}, applies_when="creating an employment-based digital replica (a training or scan session)",
      requires="notice at least 48 h before the session, or at engagement if the performer was engaged later",
      outcome="deny")
def notice(ctx: RuleContext) -> Finding | None:
    r = ctx.request
    if r.use != Use.TRAINING or RT.EBDR not in r.replica_types:
        return None
    if r.session_at is None:
        # Without the session's date the 48 h cannot be counted: never an allow on a guess.
        return Finding(Severity.REVIEW, "the request gives no session date (session_at): whether notice came "
                                        f"{NOTICE_HOURS} h before the scan or training session cannot be checked")
    session = r.session_at
    due = session - dt.timedelta(hours=NOTICE_HOURS)

    def ok(g: GrantFacts) -> bool:
        deadline = g.engaged_at if g.engaged_at is not None and g.engaged_at > due else due
        return g.notice_given_at is not None and g.notice_given_at <= deadline

    late = ctx.failing(ok)
    if late:
        return Finding(Severity.DENY, f"{labels(late)} records no notice given {NOTICE_HOURS} h before the session "
                                      f"of {session.isoformat()} (or at engagement)")
    return Finding(Severity.INFO, "notice given in time")


@rule(id="SAG23-CONSENT", title="Clear, conspicuous, separately signed consent", source=SAG23, source_kind="primary",
      regimes={"SAG23"}, applies_when="any digital replica or digital alteration",
      requires="consent separately signed (not buried in standard terms) with a reasonably specific description "
               f"of the intended use (the platform requires at least {MIN_DESCRIPTION_WORDS} words)",
      outcome="deny")
def consent(ctx: RuleContext) -> Finding | None:
    if not _replica(ctx):
        return None
    unsigned = ctx.failing(lambda g: g.separately_signed)
    if unsigned:
        return Finding(Severity.DENY, f"{labels(unsigned)} was not separately signed")
    vague = ctx.failing(description_is_specific)
    if vague:
        return Finding(Severity.DENY, f"{labels(vague)} has no reasonably specific description of the use "
                                      f"(fewer than {MIN_DESCRIPTION_WORDS} words)")
    return Finding(Severity.INFO, "separately signed, with a specific description of the use")


def _ebdr_output(ctx: RuleContext) -> bool:
    return RT.EBDR in ctx.request.replica_types and ctx.request.use in vocab.OUTPUT_USES


def _same_picture(ctx: RuleContext) -> bool:
    origin = ctx.request.origin_production_id
    return origin is None or origin == ctx.request.production_id


@rule(id="SAG23-EBDR-SAME", title="EBDR in the picture it was made for", source=SAG23, source_kind="primary",
      regimes={"SAG23"}, applies_when="an EBDR is used in the picture it was made for",
      requires="consent covering the use; compensation as if the performer had worked the days",
      outcome="allow with obligation: compensation entry for the estimated days")
def ebdr_same(ctx: RuleContext) -> Finding | None:
    if not _ebdr_output(ctx) or not _same_picture(ctx):
        return None
    days = [str(g.compensation_days_estimate) for g in ctx.grants if g.compensation_days_estimate is not None]
    detail = f"{', '.join(days)} estimated day(s)" if days else "estimated days to be recorded by payroll"
    return Finding(Severity.OBLIGATION, f"pay as if the performer had worked: {detail}", "compensation_entry")


@rule(id="SAG23-EBDR-OTHER", title="EBDR in another picture or medium", source=SAG23, source_kind="primary",
      regimes={"SAG23"}, applies_when="an EBDR made for one picture is used in another picture or medium",
      requires="new, separate consent naming that project, and additional pay recorded",
      outcome="deny without it")
def ebdr_other(ctx: RuleContext) -> Finding | None:
    if not _ebdr_output(ctx) or _same_picture(ctx):
        return None
    unpaid = ctx.failing(lambda g: bool(g.compensation_terms.strip()))
    if unpaid:
        return Finding(Severity.DENY, f"{labels(unpaid)} records no additional pay for use outside the picture the "
                                      "replica was made for")
    return Finding(Severity.INFO, "separate consent for this project with additional pay")


@rule(id="SAG23-ICDR", title="Independently created digital replica", source=SAG23, source_kind="primary",
      regimes={"SAG23"}, applies_when="an ICDR is used, including a model from earlier films used in new scenes",
      requires="consent with a reasonably specific description; compensation bargained and recorded",
      outcome="deny")
def icdr(ctx: RuleContext) -> Finding | None:
    if RT.ICDR not in ctx.request.replica_types:
        return None
    vague = ctx.failing(description_is_specific)
    if vague:
        return Finding(Severity.DENY, f"{labels(vague)} has no reasonably specific description of the ICDR use")
    unpaid = ctx.failing(lambda g: bool(g.compensation_terms.strip()))
    if unpaid:
        return Finding(Severity.DENY, f"{labels(unpaid)} records no bargained compensation for the ICDR")
    return Finding(Severity.INFO, "ICDR consent with description and compensation")


@rule(id="SAG23-ALTERATION", title="Digital alteration of recorded footage", source=SAG23, source_kind="primary",
      regimes={"SAG23"}, applies_when="footage the performer recorded is digitally altered",
      requires="consent, unless the result stays as scripted/performed or is ordinary post work (cosmetic, "
               "wardrobe, noise, continuity, colour); age changes are not ordinary post work; an exception is "
               "recorded with its reason and reviewer",
      outcome="deny without consent")
def alteration(ctx: RuleContext) -> Finding | None:
    r = ctx.request
    if RT.DIGITAL_ALTERATION not in r.replica_types:
        return None
    exc = r.alteration_exception
    if exc is not None:
        if r.use in vocab.AGE_CHANGE_USES:
            return Finding(Severity.DENY, "an age change is not ordinary post work; the claimed exception "
                                          f"'{exc.reason}' cannot replace consent")
        if exc.reason not in ORDINARY_POST or not exc.reviewer.strip():
            return Finding(Severity.DENY, f"the exception '{exc.reason}' is not ordinary post work or names no reviewer")
        return Finding(Severity.INFO, f"ordinary post exception '{exc.reason}' recorded by {exc.reviewer}")
    return Finding(Severity.INFO, "alteration consent on file")


@rule(id="SAG23-SYNTHETIC", title="Synthetic performer from a real performer's features", source=SAG23,
      source_kind="primary", regimes={"SAG23"},
      applies_when="a synthetic performer is built from a real performer's recognisable features",
      requires="that performer's consent; notice to the union", outcome="allow with obligation: union notice")
def synthetic(ctx: RuleContext) -> Finding | None:
    if ctx.request.use != Use.SYNTHETIC_PERFORMER:
        return None
    return Finding(Severity.OBLIGATION, "notify the union of the synthetic performer built from these features",
                   "union_notice")


@rule(id="SAG26-STRIKE", title="No replicas in place of striking performers", source=SAG26, source_kind="secondary",
      regimes={"SAG23", "SAG26", "IMA25", "COM25"}, applies_when="the production is under a labour action",
      requires="no replica use while the strike flag is set", outcome="deny while the strike flag is set")
def strike(ctx: RuleContext) -> Finding | None:
    if not ctx.facts.production.labour_action:
        return None
    return Finding(Severity.DENY, f"'{ctx.facts.production.title}' is under a labour action; no replica use until "
                                  "it ends")


@rule(id="SAG26-MINOR", title="Minors: guardian consent, no sexual or nude depiction", source=SAG26,
      source_kind="secondary", regimes={"SAG26"}, applies_when="the performer is a minor",
      requires="guardian consent; no sexual or nude depiction, including via aging", outcome="deny")
def sag_minor(ctx: RuleContext) -> Finding | None:
    if ctx.performer_age >= 18:
        return None
    if set(ctx.request.content_tags) & vocab.SEXUAL_TAGS:
        return Finding(Severity.DENY, "the performer is a minor: no sexual or nude depiction, at any depicted age")
    missing = ctx.failing(lambda g: g.guardian_consent)
    if missing:
        return Finding(Severity.DENY, f"the performer is a minor; {labels(missing)} has no guardian consent")
    return Finding(Severity.INFO, "guardian consent on file")


@rule(id="SAG26-THIRDPARTY-TRAINING", title="Licensing performances for third-party AI training", source=SAG26,
      source_kind="secondary", regimes={"SAG26"},
      applies_when="performances are licensed to third parties for AI training", requires="union notice",
      outcome="allow with obligation: union notice")
def third_party(ctx: RuleContext) -> Finding | None:
    if ctx.request.use != Use.THIRD_PARTY_TRAINING:
        return None
    return Finding(Severity.OBLIGATION, "notify the union of the licence for third-party training", "union_notice")


@rule(id="IMA25-REALTIME", title="Real-time generation with a replica",
      source="SAG-AFTRA Interactive Media Agreement 2025, press summaries", source_kind="secondary",
      regimes={"IMA25"}, applies_when="real-time generation with a replica",
      requires="separate written consent; pay at least 7.5x scale; consent suspended during a strike",
      outcome="deny, or allow with obligation: real-time pay")
def realtime(ctx: RuleContext) -> Finding | None:
    if ctx.request.use != Use.REALTIME_PREVIEW:
        return None
    if ctx.facts.production.labour_action:
        return Finding(Severity.DENY, "real-time consent is suspended during the labour action")
    missing = ctx.failing(lambda g: g.realtime_consent_separate)
    if missing:
        return Finding(Severity.DENY, f"{labels(missing)} has no separate written consent to real-time generation")
    low = ctx.failing(lambda g: g.realtime_pay_multiple is not None and g.realtime_pay_multiple >= REALTIME_MIN_SCALE)
    if low:
        return Finding(Severity.DENY, f"{labels(low)} pays less than {REALTIME_MIN_SCALE}x scale for real-time use")
    return Finding(Severity.OBLIGATION, f"pay real-time use at the recorded multiple (at least {REALTIME_MIN_SCALE}x "
                                        "scale)", "realtime_pay")


@rule(id="COM25-DESCRIPTION", title="Advertising: description ahead, no drift",
      source="SAG-AFTRA Commercials Contracts 2025, press summaries", source_kind="secondary", regimes={"COM25"},
      applies_when="a replica in an advertisement",
      requires="the use description given at least 48 h ahead; new consent for any use outside it",
      outcome="deny on drift")
def commercial(ctx: RuleContext) -> Finding | None:
    r = ctx.request
    if r.use not in vocab.OUTPUT_USES:
        return None
    cutoff = r.at - dt.timedelta(hours=NOTICE_HOURS)
    late = ctx.failing(lambda g: g.description_given_at is not None and g.description_given_at <= cutoff)
    if late:
        return Finding(Severity.DENY, f"{labels(late)}: the use description was not given {NOTICE_HOURS} h ahead")
    if r.use_description is None:
        # The agreement forbids use outside the description given: without the planned use, drift is unknown.
        return Finding(Severity.REVIEW, "the request does not describe the planned use (use_description): legal "
                                        f"must compare it with the description in {labels(list(ctx.grants))}, since "
                                        "any use outside it needs new consent")
    planned = " ".join(r.use_description.split()).lower()
    drifted = ctx.failing(lambda g: " ".join(g.use_description.split()).lower() == planned)
    if drifted:
        return Finding(Severity.DENY, f"the planned use differs from the description in {labels(drifted)}; "
                                      "a new consent is needed")
    return Finding(Severity.INFO, f"description given {NOTICE_HOURS} h ahead in {labels(list(ctx.grants))}, and "
                                  "the planned use matches it")


@rule(id="EQUITY-TIME-LIMIT", title="Personal, non-exclusive, time-limited licence",
      source="Equity UK AI guidance and toolkit (not binding)", source_kind="guidance", regimes={"EQUITY"},
      applies_when="a UK Equity engagement", requires="a licence that is personal, non-exclusive and time-limited",
      outcome="warn")
def equity(ctx: RuleContext) -> Finding | None:
    problems = [f"{g.label} is exclusive" for g in ctx.grants if g.exclusive]
    problems += [f"{g.label} has no end date" for g in ctx.grants if g.term_end is None]
    if problems:
        return Finding(Severity.WARN, "; ".join(problems) + " (Equity guidance)")
    return Finding(Severity.INFO, "non-exclusive and time-limited")


@rule(id="SAG23-POSTHUMOUS", title="Deceased performers: consent in life continues unless limited",
      source=SAG23 + "; secondary summaries", source_kind="secondary", regimes={"SAG23"},
      applies_when="the performer is deceased",
      requires="consent given in life that was not limited to the performer's lifetime, or the consent of the "
               "authorised representative (estate), or the union if none can be found",
      outcome="deny")
def posthumous(ctx: RuleContext) -> Finding | None:
    # The union's condition is the platform's estate rule (GATE-ESTATE); this line cites the agreement.
    return estate_finding(ctx)
