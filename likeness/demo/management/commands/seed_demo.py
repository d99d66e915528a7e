from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from likeness.demo.authenticator import DEMO_SECRET_BASE32
from likeness.demo.seed import ACCOUNTS, BINDING_ACCOUNTS, DEMO_PASSWORD, DemoError, seed_demo


class Command(BaseCommand):
    help = ("Load whatever part of the demo data is missing (organisations, accounts, performer, consent, reference "
            "footage with its files), and print the demo logins. Safe to run again at any time.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # Demo accounts share a published password and authenticator secret: never in a deployment.
            raise CommandError("seed_demo loads accounts with a published password; it runs only in local runs "
                               "(DJANGO_DEBUG=1, as `make run` sets)")
        made: list[str] = []
        try:
            created = seed_demo(made.append)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:  # one line; --traceback shows the rest
            raise CommandError(f"the demo data could not be loaded: {type(exc).__name__}: {exc} "
                               "(run `manage.py seed_demo --traceback` for the details)") from exc
        if not created:
            self.stdout.write("demo data already present")
        elif any(line.strip() == "account operator" for line in made):
            self.stdout.write(f"demo data loaded ({len(made)} records)")  # a fresh database: no need to list them
        else:
            self.stdout.write("demo data completed (the rest was already present):")
            for line in made:
                self.stdout.write(line)
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(f"  {'operator':<14} platform operator (Django admin at /admin/)")
        for account in ACCOUNTS:
            self.stdout.write(f"  {account.username:<14} {account.description}")
        self.stdout.write(f"\nApproving or revoking consent and approving outputs asks for an authenticator code. "
                          f"{' and '.join(sorted(BINDING_ACCOUNTS))} have a demo authenticator: add the secret "
                          f"{DEMO_SECRET_BASE32} to any authenticator app, or run "
                          f"`make demo-code WHO=counsel` for the current code.")
