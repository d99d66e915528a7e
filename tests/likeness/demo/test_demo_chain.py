"""`make demo` any number of times: seed and chain twice in a row, then again after the app was used (consent
revoked, footage and a grant added through it); each run ends with a released output that verifies Trusted."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from likeness.demo import seed
from likeness.demo.chain import run_demo_chain
from likeness.jobs.models import Job, JobState
from likeness.provenance.c2pa_context import platform_anchors
from likeness.provenance.models import OutputStatus
from likeness.provenance.verification import verify_path
from tests.conftest import authenticator_waits_skipped

pytestmark = pytest.mark.slow

STEPS = 5  # the chain's tiny model: its quality is not what these tests are about


def _assert_released_and_trusted(job: Job) -> None:
    job.refresh_from_db()
    assert job.state == JobState.RELEASED, (job.state, job.state_reason)
    assert job.output.status == OutputStatus.RELEASED
    assert verify_path(job.output.file.path, anchors_pem=platform_anchors()).state == "Trusted"


@pytest.fixture
def waits_skipped():
    """Seven binding acts in a row: each wait for the authenticator's next step moves the clock instead."""
    with authenticator_waits_skipped():
        yield


def test_seed_and_chain_run_twice_and_again_after_the_app_was_used(live_db, local_run, waits_skipped, capsys):
    from likeness.consent.services import grant_draft_create, grant_revoke
    from likeness.people.services import reference_material_create
    from likeness.provenance.services import pki_initialise
    from tests.conftest import grant_scope

    pki_initialise()
    assert seed.seed_demo() is True
    assert seed.seed_demo() is False

    lines: list[str] = []
    first = run_demo_chain(lines.append, steps=STEPS)
    _assert_released_and_trusted(first)
    second = run_demo_chain(lines.append, steps=STEPS)
    _assert_released_and_trusted(second)
    assert second.output_id != first.output_id
    assert second.likeness_model_id == first.likeness_model_id  # the ready model was reused, not trained again
    assert any("reused" in line for line in lines)
    # The demo's plate, uploaded to the verify page's service by the auditor: the source of those outputs.
    from likeness.provenance.selectors import verify_upload

    with open(first.plate.path, "rb") as fh:
        found = verify_upload(fh, user=seed.demo_users()["auditor"], name="plate.mp4")["registry"]
    assert found["matched_by"] == "source_sha256", found
    assert {str(first.output_id), str(second.output_id)} <= {o["id"] for o in found["outputs"]}

    # The app in use: consent revoked (its model is quarantined), footage and a draft grant added through it.
    users, performer = seed.demo_users(), seed.demo_performer()
    seed.act_as(users["rep"])
    grant_revoke(grant=first.likeness_model.grant, by=users["rep"], reason="the performer withdrew consent")
    with open(first.plate.path, "rb") as plate:  # the demo's own plate, registered as footage of the performer
        reference_material_create(performer=performer, title="On-set plate", year=2021, performer_age=60,
                                  rights_basis="captured_on_set", by=users["rep"],
                                  file=io.BytesIO(plate.read()))
    grant_draft_create(performer=performer, productions=[seed.demo_production(seed.SEQUEL)], by=users["rep"],
                       **grant_scope())

    assert seed.seed_demo() is True  # a new consent, since none in force covers the demo
    third = run_demo_chain(lines.append, steps=STEPS)
    _assert_released_and_trusted(third)
    assert third.likeness_model_id != first.likeness_model_id  # trained anew, under the new consent
    assert third.likeness_model.grant.status == "active"

    # The command, as `make demo` runs it, once more.
    call_command("seed_demo")
    call_command("demo_chain", "--steps", str(STEPS))
    out = capsys.readouterr().out
    assert "8. Verified against the platform's trust anchors: Trusted" in out
