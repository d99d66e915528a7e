"""Property: whatever sequence of draft / amend / submit / approve / revoke / expire actions happens, interleaved
with requests, the gate never allows a request that no active grant covered in every dimension at that moment.

The actions run through the real services on the real database; the oracle below re-derives coverage from
the stored grants independently of the gate's own code.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from likeness.consent import services
from likeness.consent.models import ConsentGrant
from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make
from tests.conftest import build_world, grant_scope
from tests.factories import pdf_file

USES = ["training", "de_aging", "aging_up"]
MEDIA = ["theatrical", "streaming", "advertising"]
TERRITORIES = ["US", "GB", "FR", "WORLD"]
REPLICAS = ["digital_alteration", "icdr", "ebdr"]


@st.composite
def scopes(draw):
    lo = draw(st.integers(10, 70))
    return dict(
        uses=draw(st.lists(st.sampled_from(USES), min_size=1, max_size=3, unique=True)),
        depicted_age_min=lo, depicted_age_max=lo + draw(st.integers(0, 30)),
        media=draw(st.lists(st.sampled_from(MEDIA), min_size=1, max_size=3, unique=True)),
        territories=draw(st.lists(st.sampled_from(TERRITORIES), min_size=1, max_size=2, unique=True)),
        replica_types=draw(st.lists(st.sampled_from(REPLICAS), min_size=1, max_size=3, unique=True)),
        term_days=draw(st.integers(1, 60)),
        sequel=draw(st.booleans()),
    )


actions = st.one_of(
    st.tuples(st.just("draft"), scopes()),
    st.tuples(st.just("draft_and_activate"), scopes()),
    st.tuples(st.just("amend"), st.integers(0, 5), scopes()),
    st.tuples(st.just("submit"), st.integers(0, 5)),
    st.tuples(st.just("approve"), st.integers(0, 5), st.sampled_from(["counsel", "rep"])),
    st.tuples(st.just("revoke"), st.integers(0, 5)),
    st.tuples(st.just("advance"), st.integers(1, 40)),
    st.tuples(st.just("request_within"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("request"), st.sampled_from(USES), st.integers(5, 100), st.sampled_from(MEDIA),
              st.sampled_from(["US", "GB", "FR"]), st.sampled_from(REPLICAS), st.booleans()),
)


def oracle_covers(performer, production, use, age, medium, territory, replica, at) -> bool:
    """Independent re-statement of 'an active grant covers every dimension at this moment'."""
    day = at.date()
    for g in ConsentGrant.objects.filter(performer=performer, status="active").prefetch_related("productions"):
        in_term = g.term_start <= day and (g.term_end is None or day <= g.term_end)
        ages_ok = use == "training" or (g.depicted_age_min is not None and g.depicted_age_min <= age
                                        <= g.depicted_age_max)
        media_ok = use == "training" or medium in g.media
        place_ok = use == "training" or "WORLD" in g.territories or territory in g.territories
        if (in_term and use in g.uses and production in g.productions.all() and ages_ok and media_ok and place_ok
                and replica in g.replica_types):
            return True
    return False


class GateNeverAllowsUncoveredRequests(TestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(first=scopes(), rest=st.lists(actions, min_size=3, max_size=14))
    def test_property(self, first, rest):
        steps = [("draft_and_activate", first), *rest]  # start from one active grant: more to decide
        w = build_world()
        grants: list[ConsentGrant] = []
        now = timezone.now()
        allowed = decided = 0
        for step in steps:
            kind = step[0]
            try:
                if kind in ("draft", "draft_and_activate", "amend"):
                    scope = dict(step[-1])
                    term_days, sequel = scope.pop("term_days"), scope.pop("sequel")
                    today = timezone.now().date()
                    scope.update(term_start=today - dt.timedelta(days=1), term_end=today + dt.timedelta(days=term_days))
                    prods = [w.production, w.sequel] if sequel else [w.production]
                    if kind != "amend":
                        grants.append(services.grant_draft_create(performer=w.performer, productions=prods,
                                                                  by=w.rep, **grant_scope(**scope)))
                        if kind == "draft_and_activate":
                            services.grant_submit(grant=grants[-1], document=pdf_file(), by=w.rep)
                            services.grant_approve(grant=grants[-1], by=w.counsel)
                    elif grants:
                        base = grants[step[1] % len(grants)]
                        grants.append(services.grant_amend(grant=base, by=w.rep, productions=prods, **scope))
                elif kind == "submit" and grants:
                    services.grant_submit(grant=grants[step[1] % len(grants)], document=pdf_file(), by=w.rep)
                elif kind == "approve" and grants:
                    services.grant_approve(grant=grants[step[1] % len(grants)], by=getattr(w, step[2]))
                elif kind == "revoke" and grants:
                    services.grant_revoke(grant=grants[step[1] % len(grants)], by=w.counsel, reason="withdrawn")
                elif kind == "advance":
                    now += dt.timedelta(days=step[1])
                    services.grants_expire(now=now)
                elif kind in ("request", "request_within"):
                    if kind == "request":
                        _, use, age, medium, territory, replica, sequel = step
                    elif grants:
                        # A request inside some grant's scope: the interesting case for "allowed".
                        pool = [g for g in grants if g.status == "active"] or grants
                        g = pool[step[1] % len(pool)]
                        use, age, medium = g.uses[0], g.depicted_age_min, g.media[0]
                        territory = next((t for t in g.territories if t != "WORLD"), "US")
                        replica, sequel = g.replica_types[0], step[2]
                    else:
                        continue
                    production = w.sequel if sequel else w.production
                    output = use != "training"
                    req = gate_request_build(
                        performer=w.performer, production=production, use=use, at=now,
                        depicted_age=age if output else None, media=[medium] if output else [],
                        territories=[territory] if output else [], replica_types=[replica])
                    decision = decision_make(request=req, performer=w.performer, production=production,
                                             purpose="what_if", by=w.vfx)
                    decided += 1
                    covered = oracle_covers(w.performer, production, use, age, medium, territory, replica, now)
                    if decision.allowed:
                        allowed += 1
                        assert covered, f"allowed without cover: {decision.explanation} after {steps}"
                    if not covered:
                        assert decision.outcome == "deny", decision.explanation
            except (ValidationError, PermissionDenied):
                continue  # an action that is not possible in this state is refused, as it should be
            for g in grants:
                g.refresh_from_db()
        event(f"requests decided: {decided}, of which allowed: {'some' if allowed else 'none'}")
