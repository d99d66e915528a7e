"""Serializer fields bound to what the requesting user may use.

A related field offers only the records `likeness.access.scope` lets this user act on; any other id is a 400
("Invalid pk ... object does not exist") that names the field and writes nothing, exactly as for an unknown id,
so an id outside one's reach reveals nothing either.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from rest_framework import serializers


class BoundToUser:
    """Mixin for a Serializer: `bound_fields` maps a field name to a function user -> queryset."""

    bound_fields: ClassVar[dict[str, Callable[[Any], QuerySet]]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = getattr(self, "context", {}).get("request")
        user = getattr(request, "user", None) or AnonymousUser()
        fields = self.fields  # type: ignore[attr-defined]
        for name, scope in self.bound_fields.items():
            field = fields.get(name)
            if field is None or field.read_only:
                continue
            target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            target.queryset = scope(user)  # type: ignore[arg-type]  # the stubs read this as a manager descriptor
