from __future__ import annotations

import json
from dataclasses import asdict
from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.policy.impact import decisions_under_pack, redecide
from likeness.policy.regimes import RULE_PACK_VERSIONS


class Command(BaseCommand):
    help = ("Re-decide the stored Decisions made under rule-pack VERSION with the installed rules, and list those "
            "whose outcome or failing rules would change (run it on a copy of production with the new release "
            "installed, before rolling the release out). Docs: docs/gate_check.md.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pack", required=True, metavar="VERSION", help="e.g. 2026.11.1")
        parser.add_argument("--limit", type=int, default=None, help="re-decide at most this many Decisions")
        parser.add_argument("--json", action="store_true", help="one JSON object per changed Decision")

    def handle(self, *args: Any, **options: Any) -> None:
        version, limit = options["pack"], options["limit"]
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1", returncode=2)
        installed = sorted({v for v in RULE_PACK_VERSIONS.values()})
        impacts = [redecide(d) for d in islice(decisions_under_pack(version), limit)]
        changed = [i for i in impacts if i.changed]
        if options["json"]:
            for impact in changed:
                self.stdout.write(json.dumps(asdict(impact)))
            return
        self.stdout.write(f"rule packs installed: {', '.join(f'{k} {v}' for k, v in sorted(RULE_PACK_VERSIONS.items()))}")
        self.stdout.write(f"Decisions made under {version}: {len(impacts)} re-decided, {len(changed)} would change"
                          + ("" if version not in installed or len(installed) > 1 else
                             " (that is the installed version: nothing should change)"))
        for i in changed:
            detail = i.problem and f"stored facts now refused: {i.problem}" or "; ".join(filter(None, (
                "now firing: " + ", ".join(i.failing_added) if i.failing_added else "",
                "no longer firing: " + ", ".join(i.failing_removed) if i.failing_removed else "")))
            self.stdout.write(f"  {i.decision_id[:8]}  {i.created}  {i.use:<18} {i.old_outcome:>22} -> "
                              f"{i.new_outcome:<22} {detail}")
