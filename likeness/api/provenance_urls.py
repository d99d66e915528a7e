"""Provenance endpoints (verification, output registry, evidence bundles) under /api/v1/provenance/."""
from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from likeness.api import provenance_views as views

router = DefaultRouter()
router.register("outputs", views.OutputViewSet, basename="output")

urlpatterns = [
    path("verify/", views.VerifyView.as_view(), name="provenance-verify"),
    path("", include(router.urls)),
]
