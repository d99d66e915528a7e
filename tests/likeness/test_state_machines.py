"""The five state machines as tables (likeness/common/transitions.py), checked against what each record's
users expect: which states end a record, that every state is reachable and none is a dead end, and that the
services refuse a move the table lacks. The expected final states are written out here from the domain, not
read back from the tables."""
from __future__ import annotations

import pytest

from likeness.common.transitions import StateMachine, TransitionRefused
from likeness.consent.models import GRANT_STATES, GrantStatus
from likeness.jobs.models import JOB_STATES, MODEL_STATES, PREVIEW_STATES, TERMINAL_STATES, JobState, ModelStatus
from likeness.provenance.models import OUTPUT_STATES, OutputStatus

MACHINES = {
    # A job ends when the gate denies it, when training completes, when its output is released, declined or
    # withdrawn, or when it is cancelled, fails or is revoked.
    "job": (JOB_STATES, {"denied", "completed", "released", "declined", "withdrawn", "cancelled", "failed",
                         "revoked"}),
    "preview": (PREVIEW_STATES, {"denied", "stopped", "finished", "revoked", "failed"}),
    # A quarantined model may still be destroyed; failed and destroyed models are over.
    "model": (MODEL_STATES, {"failed", "destroyed"}),
    "grant": (GRANT_STATES, {"superseded", "revoked", "expired"}),
    # A released output stays released (the file is out in the world).
    "output": (OUTPUT_STATES, {"released", "declined", "withdrawn"}),
}


@pytest.mark.parametrize("name", MACHINES)
def test_the_final_states_are_the_domains(name: str) -> None:
    machine, final = MACHINES[name]
    assert set(machine.final) == final


@pytest.mark.parametrize("name", MACHINES)
def test_every_state_is_reachable_and_none_is_a_dead_end(name: str) -> None:
    machine, _ = MACHINES[name]
    assert set(machine.reachable()) == set(machine.states), "states nothing leads to: remove them"
    stuck = [s for s in machine.states if not machine.can_finish(s)]
    assert not stuck, f"a {name} in these states can never end: {stuck}"


def test_a_job_waiting_for_approval_ends_with_its_output() -> None:
    # Before the tables, a declined or withdrawn output left its job awaiting approval for ever.
    for closed in (OutputStatus.DECLINED, OutputStatus.WITHDRAWN):
        assert OUTPUT_STATES.allows(OutputStatus.AWAITING_APPROVAL, closed)
    assert JOB_STATES.allows(JobState.AWAITING_APPROVAL, JobState.DECLINED)
    assert JOB_STATES.allows(JobState.AWAITING_APPROVAL, JobState.WITHDRAWN)
    assert TERMINAL_STATES == JOB_STATES.final


def test_a_move_the_table_lacks_is_refused_with_both_states_named() -> None:
    with pytest.raises(TransitionRefused, match="a job that is released cannot become running"):
        JOB_STATES.require(JobState.RELEASED, JobState.RUNNING)
    with pytest.raises(TransitionRefused, match="a model that is destroyed cannot become ready"):
        MODEL_STATES.require(ModelStatus.DESTROYED, ModelStatus.READY)
    assert GRANT_STATES.sources(GrantStatus.REVOKED) == ["active", "awaiting_approval", "draft"]


def test_a_table_naming_an_unknown_state_is_refused_when_it_is_built() -> None:
    with pytest.raises(ValueError, match="states the machine does not have: \\['rendred'\\]"):
        StateMachine("job", states=["queued", "rendered"], initial=["queued"], moves={"queued": ["rendred"]})


@pytest.mark.django_db
def test_a_worker_cannot_end_a_running_job_in_a_state_the_table_lacks() -> None:
    from likeness.jobs.worker import job_stop

    with pytest.raises(TransitionRefused, match="running cannot become released"):
        job_stop(job_id="00000000-0000-0000-0000-000000000000", attempt=1, state=JobState.RELEASED, reason="x")
