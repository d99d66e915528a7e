"""Create the platform's signing CA: root, intermediate and the first signing certificate."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.provenance.services import pki_ensure
from likeness.signing import pki


class Command(BaseCommand):
    help = ("Create the root CA, an intermediate and a signing certificate under settings.PKI_DIR (keys 0600); "
            "with --if-missing, check that an existing CA and the database's certificate records agree.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-missing", action="store_true",
                            help="do nothing when a CA already exists (for start-up scripts), beyond recording its "
                                 "active certificate in a database that does not know it")
        parser.add_argument("--new-ca", action="store_true",
                            help="create a new CA although the database records certificates of one that is not "
                                 "in PKI_DIR (files signed under that one stop reading as the platform's)")
        parser.add_argument("--signing-days", type=int, default=None,
                            help="validity of the signing certificate (default: 3650 without a TSA, 365 with one)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["if_missing"] and pki.ca_exists():
            raise CommandError(f"a CA already exists in {pki.pki_dir()}; refusing to overwrite it (use pki_rotate "
                               "for a new signing certificate)")
        try:
            state = pki_ensure(signing_days=options["signing_days"], new_ca=options["new_ca"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        for line in state.lines:
            self.stdout.write(line)
        if state.created and state.certificate is not None:
            self.stdout.write(f"signing certificate {state.certificate.serial} valid until "
                              f"{state.certificate.not_after:%Y-%m-%d}")
            self.stdout.write(f"trust anchors: {pki.pki_dir() / 'anchors.pem'} (give these to auditors)")
            self.stdout.write("Move root.key.pem offline: rotation needs only the intermediate's key.")
