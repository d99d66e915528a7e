"""A running job is re-checked between every chunk of frames; each check is a Decision. A check that saw the same
facts as the job's previous one stores no copy of them (the performer's whole file, every grant) but points at
the decision holding them, and reads the same to every consumer: the API, the re-evaluation of old decisions."""
from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from likeness.policy.impact import redecide
from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make


def _check(world, after=None):
    request = gate_request_build(performer=world.performer, production=world.production, use="de_aging",
                                 depicted_age=30, media=["theatrical"], territories=["US"],
                                 replica_types=["digital_alteration"])
    return decision_make(request=request, performer=world.performer, production=world.production, purpose="chunk",
                         by=None, after=after)


@pytest.mark.django_db
def test_checks_that_saw_the_same_facts_store_them_once(world, make_grant):
    make_grant()
    first = _check(world)
    assert first.allowed and first.facts["grants"] and first.facts_from is None
    chain = [first]
    for _ in range(9):
        chain.append(_check(world, after=chain[-1]))
    for later in chain[1:]:
        assert later.allowed and later.facts == {} and later.facts_from_id == first.pk  # the holder, not the last
        assert later.facts_snapshot == first.facts and later.facts_sha256 == first.facts_sha256
    stored = sum(len(json.dumps(d.facts)) for d in chain)
    assert stored < 1.1 * len(json.dumps(first.facts)), "ten checks should store about one snapshot"


@pytest.mark.django_db
def test_a_change_in_the_facts_stores_a_new_snapshot(world, make_grant):
    make_grant()
    first = _check(world)
    second = _check(world, after=first)
    make_grant(productions=[world.sequel])  # another active grant of the performer: the facts differ
    third = _check(world, after=second)
    assert third.facts_from is None and third.facts and third.facts_sha256 != first.facts_sha256
    assert len(third.facts["grants"]) == len(first.facts["grants"]) + 1


@pytest.mark.django_db
def test_a_compact_check_reads_like_a_full_one(world, make_grant):
    make_grant()
    first = _check(world)
    second = _check(world, after=first)
    client = APIClient()
    client.force_authenticate(world.vfx)
    full, compact = (client.get(f"/api/v1/decisions/{d.pk}/").json() for d in (first, second))
    assert compact["facts"] == full["facts"] and compact["facts"]["grants"]
    assert "compensation_terms" not in json.dumps(compact["facts"])  # still filtered for the viewer
    assert redecide(second).new_outcome == redecide(first).new_outcome == first.outcome
