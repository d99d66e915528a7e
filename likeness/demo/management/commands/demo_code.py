from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.accounts.second_factor import confirmed_device
from likeness.demo.authenticator import DEMO_KEY, current_code


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo account (local runs only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_code works only in local runs (DJANGO_DEBUG=1)")
        user = get_user_model().objects.filter(username=options["username"]).first()
        device = confirmed_device(user) if user is not None else None
        if device is None or device.key != DEMO_KEY:
            raise CommandError(f"{options['username']} has no demo authenticator")
        self.stdout.write(current_code(device))
