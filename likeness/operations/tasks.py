"""Periodic housekeeping of the running platform (on the `sweeps` queue)."""
from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings


@shared_task
def operations_housekeeping() -> dict[str, int]:
    """Delivered messages leave the embedded broker's file; workers unseen for a week leave the registry."""
    from likeness.operations.broker import delivered_purge
    from likeness.operations.services import workers_forget

    return {"messages": delivered_purge(settings.CELERY_BROKER_URL, older_than=dt.timedelta(hours=1)),
            "workers": workers_forget(silent_for=dt.timedelta(days=7))}
