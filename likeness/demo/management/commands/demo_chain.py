from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from likeness.demo.chain import run_demo_chain


class Command(BaseCommand):
    help = "Run the whole chain headless on a synthetic performer and print what happened at each step."

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--steps", type=int, default=120, help="training steps for the demo's tiny model")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        if not settings.DEBUG:
            raise CommandError("demo_chain acts as the demo accounts; it runs only in local runs (DJANGO_DEBUG=1)")
        run_demo_chain(self.stdout.write, steps=options["steps"])
