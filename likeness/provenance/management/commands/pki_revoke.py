"""Revoke a signing certificate: rotate away from it if it is the active one, and put it on the CA's CRL."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.provenance.models import SigningCertificate
from likeness.provenance.services import signing_certificate_revoke
from likeness.signing import pki


def _moment(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CommandError(f"--since {value!r} is not an ISO 8601 date and time") from exc
    if moment.tzinfo is None:
        raise CommandError(f"--since {value!r} needs a time zone, e.g. 2026-11-30T18:00:00Z")
    return moment


class Command(BaseCommand):
    help = ("Revoke a signing certificate (by serial, hex, or a unique prefix of it). Files it signed from --since "
            "on (default: now) read 'revoked'; files a trusted timestamp shows were signed before stay Trusted.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("serial")
        parser.add_argument("--reason", choices=sorted(pki.REASONS), default="compromised")
        parser.add_argument("--since", type=_moment, default=None,
                            help="when the key stopped being safe (ISO 8601 with a time zone); default now")

    def handle(self, *args: Any, **options: Any) -> None:
        matches = list(SigningCertificate.objects.filter(serial__startswith=options["serial"].lower())[:2])
        if len(matches) != 1:
            raise CommandError(f"{'no' if not matches else 'more than one'} signing certificate has a serial "
                               f"starting {options['serial']!r}")
        try:
            cert = signing_certificate_revoke(certificate=matches[0], reason=options["reason"], by=None,
                                              since=options["since"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        active = SigningCertificate.objects.filter(active=True).first()
        self.stdout.write(f"signing certificate {cert.serial} revoked from {cert.revoked_at:%Y-%m-%d %H:%M:%S} UTC "
                          f"({cert.revocation_reason}); the CRL is {pki.crl_path()}")
        if active is not None:
            self.stdout.write(f"signing now with {active.serial}")
