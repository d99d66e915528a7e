"""State machines as data: each machine's states, where each state may go, and which states are final.

Services move records with conditional UPDATEs (`filter(state__in=JOB_STATES.sources(JobState.RUNNING))`) or
check a move first (`JOB_STATES.require(job.state, JobState.CANCELLED)`), so a move that is not in the table
cannot happen, and the table is what the tests walk (tests/likeness/test_state_machines.py). Pure Python: it
imports nothing of Django or the apps.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping


class TransitionRefused(ValueError):
    """A move the machine's table does not have, e.g. releasing a cancelled job."""

    def __init__(self, machine: str, source: str, target: str) -> None:
        super().__init__(f"a {machine} that is {source.replace('_', ' ')} cannot become {target.replace('_', ' ')}")
        self.machine, self.source, self.target = machine, source, target


class StateMachine:
    def __init__(self, name: str, *, states: Iterable[str], initial: Iterable[str],
                 moves: Mapping[str, Iterable[str]]) -> None:
        self.name = name
        self.states = tuple(str(s) for s in states)
        self.initial = frozenset(str(s) for s in initial)
        self.moves = {str(source): frozenset(str(t) for t in targets) for source, targets in moves.items()}
        known = set(self.states)
        named = set(self.initial) | set(self.moves) | {t for ts in self.moves.values() for t in ts}
        if not named <= known:
            raise ValueError(f"{name}: the table names states the machine does not have: {sorted(named - known)}")
        self.final = frozenset(s for s in self.states if not self.moves.get(s))

    def allows(self, source: str, target: str) -> bool:
        return str(target) in self.moves.get(str(source), frozenset())

    def require(self, source: str, target: str) -> None:
        if not self.allows(source, target):
            raise TransitionRefused(self.name, str(source), str(target))

    def sources(self, target: str) -> list[str]:
        """The states from which `target` may be reached in one move (for a conditional UPDATE)."""
        return sorted(s for s, targets in self.moves.items() if str(target) in targets)

    def transitions(self) -> list[tuple[str, str]]:
        return sorted((s, t) for s, targets in self.moves.items() for t in targets)

    def reachable(self) -> frozenset[str]:
        """Every state some sequence of moves reaches from an initial state."""
        seen, frontier = set(self.initial), list(self.initial)
        while frontier:
            for target in self.moves.get(frontier.pop(), ()):
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
        return frozenset(seen)

    def can_finish(self, state: str) -> bool:
        """Whether some sequence of moves takes `state` to a final state (no record is stuck for ever)."""
        seen, frontier = {str(state)}, [str(state)]
        while frontier:
            current = frontier.pop()
            if current in self.final:
                return True
            for target in self.moves.get(current, ()):
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
        return False
