"""Check an evidence bundle with the platform's published checker (likeness/provenance/bundle_check.py)."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.provenance import bundle_check
from likeness.signing import pki


class Command(BaseCommand):
    help = "Verify an evidence bundle (zip or unpacked directory) offline; exits non-zero naming what changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("bundle")
        parser.add_argument("--anchors", default=None, help="the platform's trust anchors PEM, obtained independently")
        parser.add_argument("--root-sha256", default=None,
                            help="the platform's root certificate SHA-256, confirmed against what it publishes")
        parser.add_argument("--own-anchors", action="store_true",
                            help="on the platform itself: use this installation's anchors")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [options["bundle"]]
        if options["own_anchors"]:
            argv += ["--root-sha256", bundle_check.root_fingerprint(pki.trust_anchors_pem())]
        elif options["anchors"]:
            argv += ["--anchors", options["anchors"]]
        elif options["root_sha256"]:
            argv += ["--root-sha256", options["root_sha256"]]
        status = bundle_check.main(argv, out=self.stdout)
        if status == bundle_check.UNCONFIRMED:
            raise CommandError("the bundle is consistent but UNCONFIRMED: give --root-sha256 or --anchors",
                               returncode=status)
        if status != 0:
            raise CommandError("the bundle is NOT intact (see FAIL lines above)")
