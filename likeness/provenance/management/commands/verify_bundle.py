"""Check an evidence bundle: the same checks as the verify_bundle.py script inside it."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.provenance import bundle_check


class Command(BaseCommand):
    help = "Verify an evidence bundle (zip or unpacked directory) offline; exits non-zero naming what changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("bundle")
        parser.add_argument("--anchors", default=None, help="trust anchors PEM (default: the bundle's own)")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [options["bundle"]] + (["--anchors", options["anchors"]] if options["anchors"] else [])
        if bundle_check.main(argv, out=self.stdout) != 0:
            raise CommandError("the bundle is NOT intact (see FAIL lines above)")
