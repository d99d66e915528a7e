"""List pages: `?limit=` is capped, so one request cannot ask the database and the serializer for everything."""
from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
