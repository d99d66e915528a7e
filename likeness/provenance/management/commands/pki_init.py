"""Create the platform's signing CA: root, intermediate and the first signing certificate."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.provenance import pki
from likeness.provenance.services import pki_initialise


class Command(BaseCommand):
    help = "Create the root CA, an intermediate and a signing certificate under settings.PKI_DIR (keys 0600)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-missing", action="store_true",
                            help="do nothing when a CA already exists (for start-up scripts)")
        parser.add_argument("--signing-days", type=int, default=None,
                            help="validity of the signing certificate (default: 3650 without a TSA, 365 with one)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_missing"] and pki.ca_exists():
            self.stdout.write(f"CA already present in {pki.pki_dir()}")
            return
        try:
            cert = pki_initialise(signing_days=options["signing_days"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"CA created in {settings.PKI_DIR}")
        self.stdout.write(f"signing certificate {cert.serial} valid until {cert.not_after:%Y-%m-%d}")
        self.stdout.write(f"trust anchors: {pki.pki_dir() / 'anchors.pem'} (give these to auditors)")
        self.stdout.write("Move root.key.pem offline: rotation needs only the intermediate's key.")
