"""Renew the CA's certificate revocation list (run daily: a CRL is good for pki.CRL_DAYS days) and print it."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from likeness.signing import pki


class Command(BaseCommand):
    help = "Issue a fresh CRL (same revocations, new dates) and print it as PEM."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.stdout.write(pki.crl_pem(refresh=True).decode(), ending="")
        except pki.PkiError as exc:
            raise CommandError(str(exc)) from exc
