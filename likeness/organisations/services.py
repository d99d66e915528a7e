from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from likeness.audit.services import audit_record
from likeness.organisations.models import Membership, Organisation


@transaction.atomic
def organisation_create(*, name: str, kind: str, by: AbstractBaseUser | None) -> Organisation:
    organisation = Organisation(name=name, kind=kind)
    organisation.full_clean()
    organisation.save()
    audit_record(actor=by, action="organisation.created", obj=organisation, data={"name": name, "kind": kind})
    return organisation


@transaction.atomic
def membership_create(
    *, user: AbstractBaseUser, organisation: Organisation, role: str, by: AbstractBaseUser | None
) -> Membership:
    membership = Membership(user=user, organisation=organisation, role=role)
    membership.full_clean()
    membership.save()
    audit_record(
        actor=by,
        action="membership.created",
        obj=membership,
        data={"user": user.get_username(), "organisation": organisation.pk, "role": role},
    )
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership, by: AbstractBaseUser | None) -> None:
    audit_record(
        actor=by,
        action="membership.deleted",
        obj=membership,
        data={"user": membership.user.get_username(), "organisation": membership.organisation_id,
              "role": membership.role},
    )
    membership.delete()
