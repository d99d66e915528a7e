from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from likeness.access.predicates import may_change_production, require
from likeness.audit.services import audit_record
from likeness.organisations.models import OrganisationKind
from likeness.policy.regimes import SELECTABLE_PACKS
from likeness.productions.models import Production

EDITABLE = ("title", "agreement", "jurisdictions", "release_territories", "release_media", "extra_rule_packs")


def _validate(production: Production) -> None:
    production.full_clean()
    # A production belongs to a studio: a law firm's legal also holds the legal role, but makes no films.
    if production.studio.kind != OrganisationKind.STUDIO:
        raise ValidationError({"studio": f"{production.studio} is not a studio; a production belongs to a studio"})
    unknown = set(production.extra_rule_packs) - SELECTABLE_PACKS
    if unknown:
        raise ValidationError({"extra_rule_packs": f"unknown pack(s): {', '.join(sorted(unknown))}; "
                                                   f"selectable: {', '.join(sorted(SELECTABLE_PACKS))}"})


def _require_studio_staff(by: User | None, studio_id: int | None) -> None:
    if by is not None:  # None: the platform itself (seeding, management commands)
        require(studio_id is not None and may_change_production(by, studio_id),
                "only legal and admins of the production's studio may change it")


@transaction.atomic
def production_create(*, by: User | None, **fields: Any) -> Production:
    production = Production(**fields)
    _require_studio_staff(by, production.studio_id)
    _validate(production)
    production.save()
    audit_record(actor=by, action="production.created", obj=production,
                 data={"title": production.title, "studio": production.studio_id,
                       **{f: getattr(production, f) for f in EDITABLE[1:]}})
    return production


@transaction.atomic
def production_update(*, production: Production, by: User | None, **changes: Any) -> Production:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({k: "cannot be changed here" for k in unknown})
    _require_studio_staff(by, production.studio_id)
    before = {f: getattr(production, f) for f in changes}
    for name, value in changes.items():
        setattr(production, name, value)
    _validate(production)
    production.save()
    audit_record(actor=by, action="production.updated", obj=production,
                 data={"before": before, "after": changes})
    return production


@transaction.atomic
def production_set_labour_action(*, production: Production, active: bool, by: User | None,
                                 note: str = "") -> Production:
    """Set or clear the strike flag; the gate denies replica use while it is set."""
    production = Production.objects.select_for_update(no_key=True).get(pk=production.pk)
    _require_studio_staff(by, production.studio_id)
    production.labour_action = active
    production.labour_action_since = timezone.now() if active else None
    production.save(update_fields=["labour_action", "labour_action_since", "updated_at"])
    audit_record(actor=by, action="production.labour_action_set" if active else "production.labour_action_cleared",
                 obj=production, data={"note": note})
    return production
