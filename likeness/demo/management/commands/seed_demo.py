from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from likeness.demo.authenticator import DEMO_SECRET_BASE32
from likeness.demo.seed import ACCOUNTS, BINDING_ACCOUNTS, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo organisations, accounts, performer and consent (once), and print the demo logins."

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        if not settings.DEBUG:
            # Demo accounts share a published password and authenticator secret: never in a deployment.
            raise CommandError("seed_demo loads accounts with a published password; it runs only in local runs "
                               "(DJANGO_DEBUG=1, as `make run` sets)")
        created = seed_demo()
        self.stdout.write("demo data loaded" if created else "demo data already present")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(f"  {'operator':<14} platform operator (Django admin at /admin/)")
        for account in ACCOUNTS:
            self.stdout.write(f"  {account.username:<14} {account.description}")
        self.stdout.write(f"\nApproving or revoking consent and approving outputs asks for an authenticator code. "
                          f"{' and '.join(sorted(BINDING_ACCOUNTS))} have a demo authenticator: add the secret "
                          f"{DEMO_SECRET_BASE32} to any authenticator app, or run "
                          f"`make demo-code WHO=counsel` for the current code.")
