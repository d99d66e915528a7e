"""Page routes, all under the `web` namespace. Each views module lists its own routes beside its views."""
from __future__ import annotations

from likeness.web.views import (
    account,
    audit,
    consent,
    home,
    jobs,
    models,
    operations,
    organisations,
    people,
    productions,
    trust,
)

app_name = "web"
urlpatterns = [*home.routes, *account.routes, *consent.routes, *jobs.routes, *models.routes, *productions.routes,
               *organisations.routes, *people.routes, *audit.routes, *trust.routes, *operations.routes]
