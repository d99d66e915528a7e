from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.policy.catalogue import render_catalogue


class Command(BaseCommand):
    help = "Write docs/rules.md from the rule registry (--check: fail if the file is stale)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "rules.md"))
        parser.add_argument("--check", action="store_true", help="exit non-zero if the file differs")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["output"])
        text = render_catalogue()
        if options["check"]:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} is stale: run `python manage.py rules_doc`")
            self.stdout.write(f"{path} is up to date")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {path}")
