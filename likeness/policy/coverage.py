"""Does a grant cover a request in every dimension? If not, say which dimension failed, in words a lawyer
accepts ("grant v3 covers de-aging for 'Here' only for depicted ages 25-45; 19 requested")."""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from likeness.common import vocabulary as vocab
from likeness.policy.facts import GateRequest, GrantFacts


@dataclass(frozen=True)
class Gap:
    dimension: str
    text: str


def _human(codes: tuple[str, ...] | list[str]) -> str:
    return ", ".join(c.replace("_", "-") for c in codes) if codes else "nothing"


class HasTerm(Protocol):
    # read-only members: the gate's frozen GrantFacts and the ConsentGrant model both satisfy them
    @property
    def status(self) -> str: ...
    @property
    def term_end(self) -> dt.date | None: ...


def effective_status(grant: HasTerm, day: dt.date) -> str:
    """A grant whose term has ended is expired on that day, whether or not anyone marked it so.

    Shared by the gate (grant facts) and the consent selectors (grant rows), so both read a term the same way."""
    if grant.status == "active" and grant.term_end is not None and day > grant.term_end:
        return "expired"
    return grant.status


def grant_gaps(grant: GrantFacts, request: GateRequest, replica_types: tuple[str, ...],
               production_title: str = "") -> list[Gap]:
    return list(_gaps(grant, request, replica_types, production_title))


def _gaps(grant: GrantFacts, request: GateRequest, replica_types: tuple[str, ...],
          production_title: str = "") -> Iterator[Gap]:
    """Each failed dimension in turn, lazily: nearest_grant stops reading a version once it has more gaps than
    the best so far, which keeps a denial fast for a performer with hundreds of superseded versions."""
    day = request.day
    status = effective_status(grant, day)
    if status != "active":
        text = {
            "draft": "is a draft that was never approved",
            "awaiting_approval": "is awaiting approval and not yet in force",
            "superseded": "was superseded by a later version",
            "revoked": "was revoked"
            + (f" on {grant.revoked_at.date().isoformat()}" if grant.revoked_at else "")
            + (f" ({grant.revocation_reason})" if grant.revocation_reason else ""),
            "expired": f"expired when its term ended on {grant.term_end.isoformat() if grant.term_end else '?'}",
        }.get(status, f"has status {status}")
        yield Gap("status", text)
    if grant.term_start is not None and day < grant.term_start:
        yield Gap("term", f"is in force only from {grant.term_start.isoformat()}; {day.isoformat()} requested")
    if grant.performer_id != request.performer_id:
        yield Gap("performer", "is for another performer")
    if request.use not in grant.uses:
        yield Gap("use", f"covers {_human(grant.uses)} only; {request.use.replace('_', '-')} requested")
    if request.production_id not in grant.productions:
        named = ", ".join(f"'{t}'" for t in grant.production_titles) or _human(grant.productions)
        asked = f"'{production_title}'" if production_title else "another production"
        yield Gap("production", f"covers only {named}; {asked} requested")
    if request.depicted_age is not None:
        lo, hi = grant.depicted_age_min, grant.depicted_age_max
        if lo is None or hi is None:
            yield Gap("depicted_age", f"names no depicted ages; {request.depicted_age} requested")
        elif not lo <= request.depicted_age <= hi:
            yield Gap("depicted_age", f"covers depicted ages {lo}-{hi} only; {request.depicted_age} requested")
    missing_media = [m for m in request.media if m not in grant.media]
    if missing_media:
        yield Gap("media", f"covers the media {_human(grant.media)} only; {_human(missing_media)} requested")
    if vocab.WORLDWIDE not in grant.territories:
        missing = [t for t in request.territories if t not in grant.territories]
        if missing:
            yield Gap("territories", f"covers the territories {', '.join(grant.territories) or 'none'} only; "
                                f"{', '.join(missing)} requested")
    missing_types = [t for t in replica_types if t not in grant.replica_types]
    if missing_types:
        yield Gap("replica_type", f"covers the replica types {_human(grant.replica_types)} only; "
                                 f"{_human(missing_types)} requested")
    banned = [t for t in request.content_tags if t in grant.prohibited_content]
    if banned:
        yield Gap("prohibited_content", f"prohibits {_human(banned)}")


def covering_grants(grants: tuple[GrantFacts, ...], request: GateRequest,
                    replica_types: tuple[str, ...]) -> list[GrantFacts]:
    # Only active versions can cover; checking that first skips the superseded history cheaply.
    return [g for g in grants if g.status == "active" and next(_gaps(g, request, replica_types), None) is None]


def nearest_grant(grants: tuple[GrantFacts, ...], request: GateRequest,
                  production_title: str = "") -> tuple[GrantFacts, list[Gap]] | None:
    """The grant that came closest: fewest failed dimensions, then the newest version."""
    best: tuple[GrantFacts, list[Gap]] | None = None
    for g in sorted((g for g in grants if g.performer_id == request.performer_id), key=lambda g: -g.version):
        if best is not None and not best[1]:
            break  # a version with no gap cannot be beaten
        # Newest first, so an older version wins only with strictly fewer gaps than the best: reading as many
        # gaps as the best has is enough to know it does not; a version that wins was read to the end.
        gaps = list(itertools.islice(_gaps(g, request, request.replica_types, production_title),
                                     None if best is None else len(best[1])))
        if best is None or len(gaps) < len(best[1]):
            best = (g, gaps)
    return best


def explain_gaps(grant: GrantFacts, gaps: list[Gap]) -> str:
    return f"{grant.label} came closest, but it " + "; it ".join(g.text for g in gaps)
