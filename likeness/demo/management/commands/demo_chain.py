from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.demo.chain import run_demo_chain
from likeness.demo.seed import DemoError


class Command(BaseCommand):
    help = "Run the whole chain headless on a synthetic performer and print what happened at each step."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--steps", type=int, default=120, help="training steps for the demo's tiny model")
        parser.add_argument("--retrain", action="store_true",
                            help="train a new model even when a ready one trained on the demo footage exists")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_chain acts as the demo accounts; it runs only in local runs (DJANGO_DEBUG=1)")
        try:
            run_demo_chain(self.stdout.write, steps=options["steps"], retrain=options["retrain"])
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:  # the demo ends with one line; --traceback shows the rest
            raise CommandError(f"the demo stopped unexpectedly: {type(exc).__name__}: {exc} "
                               "(run `manage.py demo_chain --traceback` for the details)") from exc
