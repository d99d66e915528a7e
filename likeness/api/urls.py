from __future__ import annotations

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from likeness.api import account_views, job_views, views

router = DefaultRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("performers", views.PerformerViewSet, basename="performer")
router.register("representations", views.RepresentationViewSet, basename="representation")
router.register("productions", views.ProductionViewSet, basename="production")
router.register("reference-materials", views.ReferenceMaterialViewSet, basename="reference-material")
router.register("grants", views.GrantViewSet, basename="grant")
router.register("decisions", views.DecisionViewSet, basename="decision")
router.register("jobs", job_views.JobViewSet, basename="job")
router.register("models", job_views.LikenessModelViewSet, basename="likeness-model")
router.register("audit/events", views.AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("", include(router.urls)),
    path("auth/token/", account_views.TokenObtainView.as_view(), name="api-token"),
    path("auth/tokens/", account_views.TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<str:token_id>/", account_views.TokenRevokeView.as_view(), name="api-token-revoke"),
    path("gate/what-if/", views.GateWhatIfView.as_view(), name="gate-what-if"),
    path("rules/", views.RuleCatalogueView.as_view(), name="rules"),
    path("audit/verify/", views.AuditVerifyView.as_view(), name="audit-verify"),
    path("provenance/", include("likeness.api.provenance_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so no inline script is needed; Swagger UI still sets
    # inline styles, allowed on this page only.
    path("docs/", csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
         name="api-docs"),
]
