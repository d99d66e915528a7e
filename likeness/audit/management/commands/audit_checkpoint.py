"""Write a signed, timestamped checkpoint of the audit chain now (the sweeps worker also writes one every
settings.AUDIT_CHECKPOINT_SECONDS), or export every checkpoint to a folder for an auditor."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from likeness.audit.checkpoint_proof import CheckpointError
from likeness.audit.checkpoints import checkpoint_dir, checkpoint_write, checkpoints


class Command(BaseCommand):
    help = "Write an audit-chain checkpoint outside the database, or --export DIR every checkpoint written."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--export", type=Path, default=None, help="copy every checkpoint's files to DIR")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["export"] is not None:
            target: Path = options["export"]
            target.mkdir(parents=True, exist_ok=True)
            found = checkpoints()
            for checkpoint in found:
                for suffix in (".json", ".sig", ".pem", ".tsr"):
                    shutil.copy2(checkpoint.sibling(suffix), target / checkpoint.sibling(suffix).name)
            self.stdout.write(f"{len(found)} checkpoints exported to {target}")
            return
        try:
            written = checkpoint_write()
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        if written is None:
            self.stdout.write(f"no event since the last checkpoint in {checkpoint_dir()}")
        else:
            self.stdout.write(f"{written.path}: {written.tree_size} events, root {written.body['root_hash']}")
