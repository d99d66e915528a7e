"""Persons as the law sees them. GDPR Recital 27: the Regulation "does not apply to the personal data of
deceased persons". Capacity is judged when consent is given: a consent a minor signed needs the guardian's,
whatever their age when it is used. "Within 70 years of death" (Cal. Civ. Code § 3344.1) is counted by calendar
anniversaries. Every date is decided in UTC, whatever offset the caller wrote."""
from __future__ import annotations

import datetime as dt

import pytest

from likeness.policy.gate import evaluate
from likeness.policy.outcomes import Outcome
from tests.factories import NOW, facts, grant, performer, production, request

GB = dict(production=production(agreement="none", jurisdictions=("GB",)))


def line(decision, rule_id):
    return next((ln for ln in decision.lines if ln.rule_id == rule_id), None)


def test_gdpr_protects_the_living() -> None:
    living = evaluate(request(), facts(grant(biometric_consent_explicit=False), performer=performer(domicile="GB"),
                                       **GB))
    assert "GDPR" in living.regimes and line(living, "GDPR-9").severity == "deny"


def test_gdpr_does_not_apply_to_the_deceased_estate_rules_do() -> None:
    dead = performer(domicile="GB", date_of_death=dt.date(2020, 5, 1))
    decision = evaluate(request(), facts(grant(biometric_consent_explicit=False, posthumous_terms="limited"),
                                         performer=dead, **GB))
    assert "GDPR" not in decision.regimes
    assert line(decision, "GDPR-9") is None
    # ... and the estate rule decides instead.
    assert line(decision, "GATE-ESTATE").severity == "deny"
    with_estate = evaluate(request(), facts(grant(biometric_consent_explicit=False, posthumous_terms="limited",
                                                  estate_consent=True), performer=dead, **GB))
    assert with_estate.outcome == Outcome.ALLOW


def test_a_consent_signed_at_17_needs_the_guardian_even_at_18() -> None:
    born = dt.date(2008, 6, 1)  # 18 on NOW (2026-11-23); 17 on 2026-01-10
    minor_signed = grant(signed_on=dt.date(2026, 1, 10))
    decision = evaluate(request(), facts(minor_signed, performer=performer(date_of_birth=born)))
    assert decision.outcome == Outcome.DENY
    assert "was 17" in line(decision, "GATE-MINOR").message
    ratified = evaluate(request(), facts(grant(signed_on=dt.date(2026, 1, 10), guardian_consent=True),
                                         performer=performer(date_of_birth=born)))
    assert ratified.outcome == Outcome.ALLOW
    signed_as_adult = evaluate(request(), facts(grant(signed_on=dt.date(2026, 6, 1)),
                                                performer=performer(date_of_birth=born)))
    assert signed_as_adult.outcome == Outcome.ALLOW and line(signed_as_adult, "GATE-MINOR") is None


CA_DEAD = dict(production=production(agreement="none", jurisdictions=("US-CA",)))


@pytest.mark.parametrize(("died", "day", "inside"), [
    # The window's last day is the 70th anniversary, whatever leap days fall between.
    (dt.date(1956, 11, 23), dt.date(2026, 11, 23), True),
    (dt.date(1956, 11, 23), dt.date(2026, 11, 24), False),
    (dt.date(1956, 11, 24), dt.date(2026, 11, 23), True),
    # 18 leap days in the window (1952 ... 2020): 365.25-day years would close it a day early.
    (dt.date(1952, 2, 1), dt.date(2022, 2, 1), True),
    (dt.date(1952, 2, 1), dt.date(2022, 2, 2), False),
    # 29 February: the anniversary in a common year is 28 February.
    (dt.date(1956, 2, 29), dt.date(2026, 2, 28), True),
    (dt.date(1956, 2, 29), dt.date(2026, 3, 1), False),
])
def test_the_70_year_window_is_counted_by_anniversary(died, day, inside) -> None:
    at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    g = grant(posthumous_terms="continues", estate_consent=False, term_start=dt.date(1950, 1, 1))
    decision = evaluate(request(at=at), facts(g, performer=performer(date_of_death=died,
                                                                     date_of_birth=dt.date(1920, 1, 1)), **CA_DEAD))
    assert (line(decision, "CA-CIV-3344.1") is not None) is inside
    if inside:
        assert line(decision, "CA-CIV-3344.1").severity == "deny"


def test_the_day_of_a_request_does_not_depend_on_the_callers_offset() -> None:
    """23:30 on 31 Dec in New York is 04:30 on 1 Jan UTC: the grant's term ends on 31 Dec."""
    g = grant(term_end=dt.date(2026, 12, 31))
    instant = dt.datetime(2027, 1, 1, 4, 30, tzinfo=dt.UTC)
    as_utc = evaluate(request(at=instant), facts(g))
    as_new_york = evaluate(request(at=instant.astimezone(dt.timezone(dt.timedelta(hours=-5)))), facts(g))
    assert as_utc.outcome == as_new_york.outcome == Outcome.DENY
    assert NOW.tzinfo is dt.UTC
