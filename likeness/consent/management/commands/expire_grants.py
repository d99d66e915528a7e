from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from likeness.consent.services import grants_expire


class Command(BaseCommand):
    help = "Mark active grants whose term has ended as expired (the gate already refuses them)."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = grants_expire()
        for grant in expired:
            self.stdout.write(f"expired {grant.label} of {grant.performer} (term ended {grant.term_end})")
        self.stdout.write(f"{len(expired)} grant(s) expired")
