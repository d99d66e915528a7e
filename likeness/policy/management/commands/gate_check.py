from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from likeness.policy.facts import FactsError, GateFacts, GateRequest, parse
from likeness.policy.gate import evaluate


class Command(BaseCommand):
    help = ("Decide a request against facts described in JSON, without touching the database, and print the "
            "Decision as JSON. Format: docs/gate_check.md. Use '-' to read standard input.")

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("file", help="JSON file with 'request' and 'facts'")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        source = options["file"]
        try:
            raw = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc.strerror}", returncode=2) from exc
        try:
            document = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{source} is not valid JSON: {exc}", returncode=2) from exc
        if not isinstance(document, dict) or set(document) - {"request", "facts"} or "request" not in document \
                or "facts" not in document:
            raise CommandError("the file must be an object with exactly the keys 'request' and 'facts'", returncode=2)
        errors: dict[str, str] = {}
        parsed = {}
        for key, cls in (("request", GateRequest), ("facts", GateFacts)):
            try:
                parsed[key] = parse(cls, document[key], key)
            except FactsError as exc:
                errors.update(exc.errors)
        try:
            if errors:
                raise FactsError(errors)
            decision = evaluate(parsed["request"], parsed["facts"])
        except FactsError as exc:
            raise CommandError("invalid input:\n" + "\n".join(f"  {k}: {v}" for k, v in exc.errors.items()),
                               returncode=2) from exc
        self.stdout.write(json.dumps(decision.as_dict(), indent=2, default=str))
