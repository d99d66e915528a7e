"""Write the trust anchors (root and intermediate certificates) auditors verify outputs against."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.signing import pki


class Command(BaseCommand):
    help = "Write the platform's trust-anchor PEM to FILE (or stdout) and print the root's SHA-256 fingerprint."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="where to write the PEM (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pem = pki.trust_anchors_pem()
        except pki.PkiError as exc:
            raise CommandError(str(exc)) from exc
        root = pki.load_cert(pki.pki_dir() / "root.cert.pem")
        if options["file"]:
            Path(options["file"]).write_bytes(pem)
            self.stdout.write(f"wrote {options['file']}; root SHA-256 fingerprint {pki.fingerprint(root)}")
        else:
            sys.stdout.write(pem.decode())
            self.stderr.write(f"root SHA-256 fingerprint {pki.fingerprint(root)}")
