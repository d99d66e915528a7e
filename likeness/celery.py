"""The Celery app. Engine work goes to the `gpu` queue, the periodic sweeps to `sweeps`, everything else to
`default`. The sweeps have a queue of their own so that no engine worker consumes it: a GPU worker runs one job
at a time for up to hours, and a sweep waiting behind it would leave a dead worker's job stranded that long.

Tasks take ids, claim their job with a conditional UPDATE and are safe to run twice, so late
acknowledgement (a message is acknowledged only after its task ran) can never duplicate a job's output.
"""
from __future__ import annotations

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "likeness.settings")
# The embedded broker's URL scheme (embedded+sqlite:///...): kombu's SQLAlchemy transport made safe for
# concurrent processes on one SQLite file.
TRANSPORT_ALIASES.setdefault("embedded", "likeness.operations.broker:Transport")

GPU_QUEUE, SWEEPS_QUEUE, DEFAULT_QUEUE = "gpu", "sweeps", "default"

app = Celery("likeness")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_default_queue=DEFAULT_QUEUE,
    task_routes={"likeness.jobs.tasks.run_job": {"queue": GPU_QUEUE},
                 "likeness.jobs.tasks.run_preview_session": {"queue": GPU_QUEUE},
                 "likeness.jobs.tasks.requeue_stale_jobs": {"queue": SWEEPS_QUEUE},
                 "likeness.jobs.tasks.expire_grants": {"queue": SWEEPS_QUEUE},
                 "likeness.audit.tasks.write_audit_checkpoint": {"queue": SWEEPS_QUEUE},
                 "likeness.operations.tasks.operations_housekeeping": {"queue": SWEEPS_QUEUE}},
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    # Each sweep message expires after one period: if its worker is down for a while, the next one does the
    # same work, so a backlog of identical sweeps never builds up.
    beat_schedule={
        # A job whose worker died (no heartbeat) goes back to the queue, or fails after its last attempt.
        "requeue-stale-jobs": {"task": "likeness.jobs.tasks.requeue_stale_jobs", "schedule": 10.0,
                               "options": {"queue": SWEEPS_QUEUE, "expires": 10.0}},
        # Grants whose term ended stop covering at once in the gate; this records it and propagates.
        "expire-grants": {"task": "likeness.jobs.tasks.expire_grants", "schedule": 600.0,
                          "options": {"queue": SWEEPS_QUEUE, "expires": 600.0}},
        # Delivered messages leave the embedded broker's file; long-gone workers leave the registry.
        "operations-housekeeping": {"task": "likeness.operations.tasks.operations_housekeeping", "schedule": 600.0,
                                    "options": {"queue": SWEEPS_QUEUE, "expires": 600.0}},
    },
)


@app.on_after_configure.connect
def _audit_checkpoints(sender: Celery, **_kwargs: object) -> None:
    """The audit chain's state, signed and timestamped outside the database (likeness/audit/checkpoints.py),
    every settings.AUDIT_CHECKPOINT_SECONDS (settings are read here, not when this module is imported)."""
    from django.conf import settings

    every = settings.AUDIT_CHECKPOINT_SECONDS
    sender.conf.beat_schedule["audit-checkpoint"] = {
        "task": "likeness.audit.tasks.write_audit_checkpoint", "schedule": every,
        "options": {"queue": SWEEPS_QUEUE, "expires": every}}


app.autodiscover_tasks()
