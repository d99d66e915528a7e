from __future__ import annotations

from django.core.management.base import BaseCommand

from likeness.demo.seed import ACCOUNTS, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo organisations, accounts, performer and consent (once), and print the demo logins."

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        created = seed_demo()
        self.stdout.write("demo data loaded" if created else "demo data already present")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(f"  {'operator':<14} platform operator (Django admin at /admin/)")
        for account in ACCOUNTS:
            self.stdout.write(f"  {account.username:<14} {account.description}")
