"""Rules of the platform itself: deny by default, model lineage, split consent, minors and estates."""
from __future__ import annotations

from likeness.common import vocabulary as vocab
from likeness.policy.coverage import effective_status
from likeness.policy.facts import GrantFacts
from likeness.policy.outcomes import Finding, Severity
from likeness.policy.regimes import agreement_in_force
from likeness.policy.rules.base import RuleContext, labels, rule, structural_rule

P = "platform"
# Platform rules apply on every production what the agreements and statutes below ask of the ones they cover.
SAG23_AI = "SAG-AFTRA TV/Theatrical 2023, AI provisions on digital replicas and digital alteration (union summary)"
SAG26_TERMS = "SAG-AFTRA TV/Theatrical 2026 (ratified June 2026; term 1 Jul 2026 - 30 Jun 2030; press summaries)"
GDPR_URL = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"
CA_CIV_3344_1_URL = "https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=CIV&sectionNum=3344.1"

COVERAGE = structural_rule(
    id="GATE-COVERAGE", title="Deny by default",
    source=f"Platform policy, deny by default: {SAG23_AI}: consent with a reasonably specific description of the "
           "intended use; GDPR (Regulation 2016/679) Art 7(1): consent must be proven",
    source_url=GDPR_URL, source_kind=P, regimes={"PLATFORM"},
    applies_when="every request",
    requires="an active grant that covers every dimension: use, production, depicted age, media, territories, "
             "term, replica type, and none of its prohibited content",
    outcome="deny, naming the grant version that came closest and the dimension that failed",
)
SPLIT = structural_rule(
    id="GATE-SPLIT-CONSENT", title="Alteration and replica consent both needed",
    source=f"{SAG23_AI}: a digital alteration of recorded footage and an independently created digital replica "
           "(ICDR) each need the performer's consent; platform policy sends a partial match to legal review",
    source_kind=P, regimes={"PLATFORM"},
    applies_when="a request needs several replica types (e.g. de-aging an on-set performance with a model "
                 "built from earlier films: digital alteration + ICDR)",
    requires="every replica type covered by an active grant",
    outcome="needs review by legal when only some of the replica types are covered",
)


@rule(id="GATE-MODEL-LINEAGE", title="A model is used only while its training grant holds",
      source="GDPR (Regulation 2016/679) Art 9(2)(a): explicit consent for the specified purpose, and Art 7(3): "
             f"withdrawal stops processing from then on; {SAG23_AI}: consent covers the use described; platform "
             "policy: training and use are consented to separately",
      source_url=GDPR_URL, source_kind=P, regimes={"PLATFORM"},
      applies_when="a request runs a trained likeness model",
      requires="the model is ready, of the same performer, and the consent it was trained under (the grant's "
               "family: its current version, after any amendment) is still active and still allows training",
      outcome="deny")
def model_lineage(ctx: RuleContext) -> Finding | None:
    model = ctx.request.model
    if model is None:
        return None
    if model.performer_id != ctx.request.performer_id:
        return Finding(Severity.DENY, f"model {model.id} belongs to another performer")
    if model.status != "ready":
        return Finding(Severity.DENY, f"model {model.id} is {model.status}, not ready")
    training = next((g for g in ctx.facts.grants if g.id == model.training_grant_id), None)
    if training is None:
        return Finding(Severity.DENY, f"model {model.id} was trained under a grant that is not on file")
    current = _current_version(ctx, training)
    if current is None:
        status = effective_status(training, ctx.day)
        return Finding(Severity.DENY, f"model {model.id} was trained under {training.label}, which is {status} "
                                      "now, and no later version of that consent is in force; the model may not be "
                                      "used")
    if vocab.Use.TRAINING not in current.uses:
        return Finding(Severity.DENY, f"model {model.id} was trained under {training.label}; the consent's current "
                                      f"version ({current.label}) no longer allows training; the model may not be "
                                      "used")
    if current.id != training.id:
        return Finding(Severity.INFO, f"model {model.id} was trained under {training.label}; the consent's current "
                                      f"version ({current.label}) still allows training")
    return Finding(Severity.INFO, f"model {model.id} was trained under {training.label}, still active")


def _current_version(ctx: RuleContext, training: GrantFacts) -> GrantFacts | None:
    """The version of the training grant's consent in force today: the grant itself while active, or, after an
    amendment, the newest active version of its family. None when the consent was revoked or has expired."""
    if effective_status(training, ctx.day) == "active":
        return training
    if training.status != "superseded" or not training.family:
        return None
    family = [g for g in ctx.facts.grants if g.family == training.family and g.performer_id == training.performer_id
              and effective_status(g, ctx.day) == "active"]
    return max(family, key=lambda g: g.version, default=None)


@rule(id="GATE-LABOUR-ACTION", title="Union members during a labour action, on any production",
      source=f"{SAG26_TERMS}: no replica use in place of striking performers; platform policy extends the review "
             "to non-union productions", source_kind=P, regimes={"PLATFORM"},
      applies_when="the production is flagged under a labour action, has no union agreement, and the performer "
                   "is a union member",
      requires="legal review: a member's replica must not stand in for struck work, whatever the production's "
               "agreement", outcome="needs review")
def labour_action_non_union(ctx: RuleContext) -> Finding | None:
    production, performer = ctx.facts.production, ctx.facts.performer
    if not production.labour_action or not performer.union_memberships:
        return None
    if production.agreement != vocab.Agreement.NONE:
        return None  # the agreement's own strike rule (SAG26-STRIKE) decides
    unions = ", ".join(performer.union_memberships)
    return Finding(Severity.REVIEW, f"'{production.title}' is flagged under a labour action and the performer is a "
                                    f"member of {unions}; a member's likeness on a non-union production during a "
                                    "labour action needs legal review")


@rule(id="GATE-MINOR", title="Minors: guardian consent, no sexual depiction",
      source=f"{SAG26_TERMS}: a minor's guardian consents, and no sexual or nude depiction, including through aging; "
             "platform policy applies it on every production", source_kind=P, regimes={"PLATFORM"},
      applies_when="the performer is under 18 on the day of use or was when a grant was signed, or the depicted "
                   "age is under 18",
      requires="guardian consent recorded in the grant (capacity is judged at signing: a consent a minor signed "
               "needs the guardian's, whatever their age at use); no nudity or sexual content involving a minor, "
               "including a minor aged up and an adult aged down",
      outcome="deny")
def minor(ctx: RuleContext) -> Finding | None:
    person = ctx.facts.performer
    is_minor = ctx.performer_age < 18
    depicts_minor = ctx.request.depicted_age is not None and ctx.request.depicted_age < 18
    signed_as_minor = [g for g in ctx.grants if g.signed_on is not None and person.age_on(g.signed_on) < 18]
    if not (is_minor or depicts_minor or signed_as_minor):
        return None
    if set(ctx.request.content_tags) & vocab.SEXUAL_TAGS and (is_minor or depicts_minor):
        who = "the performer is a minor" if is_minor else f"the depicted age {ctx.request.depicted_age} is a minor's"
        return Finding(Severity.DENY, f"{who}; nudity or sexual content is never allowed")
    unratified = [g for g in signed_as_minor if not g.guardian_consent]
    if unratified:
        return Finding(Severity.DENY, "; ".join(
            f"{g.label} was signed on {g.signed_on}, when the performer was {person.age_on(g.signed_on)}, "  # type: ignore[arg-type]  # signed_as_minor holds only grants with signed_on
            "without the guardian's consent" for g in unratified) + ": a minor's consent needs the guardian's")
    if is_minor:
        missing = ctx.failing(lambda g: g.guardian_consent)
        if missing:
            return Finding(Severity.DENY, f"the performer is {ctx.performer_age}; {labels(missing)} has no guardian "
                                          "consent")
        return Finding(Severity.INFO, f"the performer is {ctx.performer_age}; guardian consent on file")
    if signed_as_minor:
        return Finding(Severity.INFO, f"{labels(signed_as_minor)} signed while the performer was a minor; guardian "
                                      "consent on file")
    return Finding(Severity.INFO, "a minor is depicted; no sexual content requested")


@rule(id="GATE-ESTATE", title="Deceased performers: estate consent unless consent in life continues",
      source="California Civil Code § 3344.1 (AB 1836): prior consent of the rights holder for a deceased "
             "personality's replica; New York Civil Rights Law § 50-f: consent of heirs or executors; "
             "SAG-AFTRA TV/Theatrical 2023 (posthumous consent; secondary summaries); platform policy applies it on "
             "every production", source_url=CA_CIV_3344_1_URL, source_kind=P, regimes={"PLATFORM"},
      applies_when="the performer has died",
      requires="posthumous terms that let consent continue, or the estate's consent recorded in the grant",
      outcome="deny")
def estate(ctx: RuleContext) -> Finding | None:
    return estate_finding(ctx)


def estate_finding(ctx: RuleContext) -> Finding | None:
    """Shared with SAG23-POSTHUMOUS, which states the same condition for union productions."""
    if not ctx.deceased:
        return None
    missing = ctx.failing(lambda g: g.estate_consent or g.posthumous_terms == vocab.PosthumousTerms.CONTINUES)
    if missing:
        return Finding(Severity.DENY, f"the performer died on {ctx.facts.performer.date_of_death}; "
                                      f"{labels(missing)} does not continue after death and has no estate consent")
    return Finding(Severity.INFO, "the performer has died; consent continues or the estate consented")


@rule(id="GATE-AGREEMENT-TERM", title="The agreement in force on the day of the work",
      source=f"{SAG26_TERMS}: work after the 2023 agreement's term falls under its successor",
      source_kind=P, regimes={"PLATFORM"},
      applies_when="the production's agreement has a term, and the work falls after it",
      requires="the successor agreement's rules, on top of those the production was coded under",
      outcome="info: names the agreement applied and why")
def agreement_term(ctx: RuleContext) -> Finding | None:
    _agreement, why = agreement_in_force(ctx.facts.production.agreement, ctx.day)
    return Finding(Severity.INFO, why) if why else None
