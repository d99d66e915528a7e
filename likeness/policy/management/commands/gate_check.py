from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.policy.facts import FactsError, GateFacts, GateRequest, parse
from likeness.policy.gate import evaluate
from likeness.policy.outcomes import GateDecision, Outcome

SCENARIO_KEYS = {"request", "facts", "expect"}
EXPECT_KEYS = {"outcome", "rules", "not_rules"}


def decide(document: Any, *, allowed_keys: set[str]) -> GateDecision:
    """The Decision for one document, or CommandError (status 2) naming every bad field."""
    if not isinstance(document, dict) or set(document) - allowed_keys or not {"request", "facts"} <= set(document):
        keys = ", ".join(f"'{k}'" for k in sorted(allowed_keys))
        raise CommandError(f"the file must be an object with exactly the keys {keys}", returncode=2)
    errors: dict[str, str] = {}
    request: GateRequest | None = None
    facts: GateFacts | None = None
    try:
        request = parse(GateRequest, document["request"], "request")
    except FactsError as exc:
        errors.update(exc.errors)
    try:
        facts = parse(GateFacts, document["facts"], "facts")
    except FactsError as exc:
        errors.update(exc.errors)
    try:
        if errors or request is None or facts is None:
            raise FactsError(errors)
        return evaluate(request, facts)
    except FactsError as exc:
        raise CommandError("invalid input:\n" + "\n".join(f"  {k}: {v}" for k, v in exc.errors.items()),
                           returncode=2) from exc


def _read(source: str) -> Any:
    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {source}: {exc.strerror}", returncode=2) from exc
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{source} is not valid JSON: {exc}", returncode=2) from exc


def _expectation(document: dict[str, Any], name: str) -> dict[str, Any]:
    expect = document.get("expect")
    if not isinstance(expect, dict) or "outcome" not in expect or set(expect) - EXPECT_KEYS:
        raise CommandError(f"{name}: 'expect' must be an object with 'outcome' and optionally 'rules' and "
                           "'not_rules' (lists of rule ids)", returncode=2)
    if expect["outcome"] not in {o.value for o in Outcome}:
        raise CommandError(f"{name}: expect.outcome {expect['outcome']!r} is not one of "
                           f"{', '.join(o.value for o in Outcome)}", returncode=2)
    return expect


def check_scenario(decision: GateDecision, expect: dict[str, Any]) -> list[str]:
    """What differs from the expectation: the outcome, rules that should have failed (or fired), rules that
    must not."""
    problems = []
    if decision.outcome.value != expect["outcome"]:
        problems.append(f"outcome {decision.outcome.value}, expected {expect['outcome']}")
    fired = {ln.rule_id for ln in decision.lines if ln.severity != "info"}
    missing = [r for r in expect.get("rules", []) if r not in fired]
    if missing:
        problems.append("expected to fail or warn: " + ", ".join(missing))
    unwanted = [r for r in expect.get("not_rules", []) if r in fired]
    if unwanted:
        problems.append("must not fail: " + ", ".join(unwanted))
    return problems


class Command(BaseCommand):
    help = ("Decide a request against facts described in JSON, without touching the database, and print the "
            "Decision as JSON; with --suite DIR, run every scenario file of a folder against its expectation and "
            "print a pass/fail table. Format: docs/gate_check.md. Use '-' to read standard input.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="JSON file with 'request' and 'facts'")
        parser.add_argument("--suite", metavar="DIR",
                            help="folder of scenario files (*.json with 'request', 'facts' and 'expect')")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["suite"]:
            if options["file"]:
                raise CommandError("give a file or --suite DIR, not both", returncode=2)
            return self._suite(Path(options["suite"]))
        if not options["file"]:
            raise CommandError("give a JSON file (or - for standard input), or --suite DIR", returncode=2)
        decision = decide(_read(options["file"]), allowed_keys={"request", "facts"})
        self.stdout.write(json.dumps(decision.as_dict(), indent=2, default=str))

    def _suite(self, folder: Path) -> None:
        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        if not files:
            raise CommandError(f"{folder} holds no scenario files (*.json)", returncode=2)
        rows: list[tuple[str, str, str]] = []
        for path in files:
            document = _read(str(path))
            try:
                expect = _expectation(document if isinstance(document, dict) else {}, path.name)
                decision = decide(document, allowed_keys=SCENARIO_KEYS)
            except CommandError as exc:
                rows.append((path.name, "ERROR", str(exc).replace("\n", " ")))
                continue
            problems = check_scenario(decision, expect)
            rows.append((path.name, "FAIL" if problems else "pass",
                         "; ".join(problems) or f"{decision.outcome.value} as expected"))
        width = max(len(name) for name, _s, _d in rows)
        for name, state, detail in rows:
            self.stdout.write(f"{state:<5}  {name:<{width}}  {detail}")
        failed = sum(1 for _n, state, _d in rows if state != "pass")
        self.stdout.write(f"\n{len(rows) - failed} passed, {failed} failed, {len(rows)} scenarios")
        if failed:
            raise CommandError(f"{failed} of {len(rows)} scenarios did not decide as expected", returncode=1)
