"""Issue a new signing certificate; files signed with earlier ones stay verifiable (same anchors)."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.provenance.services import pki_rotate


class Command(BaseCommand):
    help = "Issue a new signing certificate from the intermediate and make it the active one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="validity in days")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            cert = pki_rotate(days=options["days"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"signing certificate {cert.serial} active, valid until {cert.not_after:%Y-%m-%d}")
