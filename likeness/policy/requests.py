"""Building a GateRequest from platform objects (the what-if endpoint now, jobs later)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from likeness.people.models import Performer
from likeness.policy.facts import AlterationException, GateRequest, ModelFacts
from likeness.productions.models import Production


def gate_request_build(
    *,
    performer: Performer,
    production: Production,
    use: str,
    at: dt.datetime | None = None,
    depicted_age: int | None = None,
    media: list[str] | None = None,
    territories: list[str] | None = None,
    replica_types: Sequence[str] | None = None,
    content_tags: list[str] | None = None,
    session_at: dt.datetime | None = None,
    origin_production: Production | None = None,
    model: ModelFacts | None = None,
    alteration_exception: dict[str, Any] | None = None,
    use_description: str | None = None,
    performance_fixed_on: dt.date | None = None,
) -> GateRequest:
    return GateRequest(
        performer_id=str(performer.pk),
        production_id=str(production.pk),
        use=use,
        at=at or timezone.now(),
        depicted_age=depicted_age,
        media=tuple(media or ()),
        territories=tuple(territories or ()),
        replica_types=tuple(replica_types or ()),
        content_tags=tuple(content_tags or ()),
        session_at=session_at,
        origin_production_id=str(origin_production.pk) if origin_production else None,
        model=model,
        alteration_exception=AlterationException(**alteration_exception) if alteration_exception else None,
        use_description=use_description,
        performance_fixed_on=performance_fixed_on,
    )
