"""Listeners for other apps' signals (connected in apps.ready)."""
from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from likeness.consent.models import ConsentGrant
from likeness.consent.signals import grant_withdrawn


@receiver(grant_withdrawn, sender=ConsentGrant, dispatch_uid="provenance.outputs_consent_withdrawn")
def _outputs_consent_withdrawn(sender: Any, grant: ConsentGrant, by: Any, reason: str, **kwargs: Any) -> None:
    from likeness.provenance.services import outputs_mark_consent_withdrawn

    outputs_mark_consent_withdrawn(grant=grant, by=by, reason=reason)
