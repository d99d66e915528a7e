"""The Celery app. Engine work goes to the `gpu` queue, everything else to `default`.

Tasks take ids, claim their job with a conditional UPDATE and are safe to run twice, so late
acknowledgement (a message is acknowledged only after its task ran) can never duplicate a job's output.
"""
from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "likeness.settings")

app = Celery("likeness")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_default_queue="default",
    task_routes={"likeness.jobs.tasks.run_job": {"queue": "gpu"}},
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    beat_schedule={
        # A job whose worker died (no heartbeat) goes back to the queue.
        "requeue-stale-jobs": {"task": "likeness.jobs.tasks.requeue_stale_jobs", "schedule": 10.0},
        # Grants whose term ended stop covering at once in the gate; this records it and propagates.
        "expire-grants": {"task": "likeness.jobs.tasks.expire_grants", "schedule": 600.0},
    },
)
app.autodiscover_tasks()
