from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("likeness.api.urls")),
    path("", include("likeness.web.urls")),
]

# Errors as pages people understand (the API keeps its JSON errors through DRF's handler).
handler400 = "likeness.web.views.errors.bad_request"
handler403 = "likeness.web.views.errors.permission_denied"
handler404 = "likeness.web.views.errors.page_not_found"
handler500 = "likeness.web.views.errors.server_error"
