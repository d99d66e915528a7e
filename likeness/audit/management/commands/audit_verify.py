from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit hash chain; exit non-zero and name the first bad event if it was tampered with."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
        if not report.ok:
            raise CommandError(f"audit chain BROKEN after {report.events_checked} good events: {report.problem}")
        if not options["json"]:
            self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.events_checked} events"))
            c = report.checkpoint
            if c is None:
                self.stdout.write("no checkpoint outside the database yet (python manage.py audit_checkpoint): "
                                  "the chain was checked against itself only")
            else:
                self.stdout.write(f"matches checkpoint {c['file']} ({c['tree_size']} events, timestamped "
                                  f"{c['timestamp']} by {c['timestamp_authority']})")
