"""Who may request engine work for a production, and which inputs they may use: shared by job submission and
live previews."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from likeness.access import predicates, scope
from likeness.jobs.models import LikenessModel
from likeness.people.models import Performer, ReferenceMaterial
from likeness.productions.models import Production


def require_studio_vfx(user: User, production: Production) -> None:
    predicates.require(predicates.may_request_jobs(user, production),
                       "only VFX staff of the production's studio may request jobs for it")


def require_usable(user: User, *, performer: Performer, likeness_model: LikenessModel | None = None,
                    reference_materials: list[ReferenceMaterial] | None = None) -> None:
    """Inputs come from what the user may act on, never from what they may merely read (an audit engagement):
    anything else is refused as if it did not exist, before anything is written."""
    errors: dict[str, list[str]] = {}
    if not scope.performers_usable_by(user).filter(pk=performer.pk).exists():
        errors["performer"] = ["no performer with this id that you may act for"]
    if likeness_model is not None and not scope.models_usable_by(user).filter(pk=likeness_model.pk).exists():
        errors["likeness_model"] = ["no model with this id among your studio's models"]
    if reference_materials:
        usable = set(scope.reference_materials_usable_by(user).filter(pk__in=[m.pk for m in reference_materials])
                     .values_list("pk", flat=True))
        if any(m.pk not in usable for m in reference_materials):
            errors["reference_materials"] = ["no reference material with this id that you may use"]
    if errors:
        raise ValidationError(errors)
