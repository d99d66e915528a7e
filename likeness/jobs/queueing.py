"""Sending work to the engine workers, after the transaction that decided it commits.

By the task's name, not by importing the task: the task module loads the engine, which the web process that
submits jobs and previews never imports (import-linter checks it)."""
from __future__ import annotations

from django.db import transaction

from likeness.celery import GPU_QUEUE
from likeness.celery import app as celery_app
from likeness.jobs.models import Job, PreviewSession

# The engine tasks (likeness/jobs/tasks.py), sent by name.
RUN_JOB_TASK, RUN_PREVIEW_TASK = "likeness.jobs.tasks.run_job", "likeness.jobs.tasks.run_preview_session"


def enqueue_job(job: Job) -> None:
    """Send the job to the GPU queue once the transaction that queued it has committed."""
    job_id = str(job.pk)
    transaction.on_commit(lambda: celery_app.send_task(RUN_JOB_TASK, args=[job_id], queue=GPU_QUEUE))


def enqueue_preview(session: PreviewSession) -> None:
    session_id = str(session.pk)
    transaction.on_commit(lambda: celery_app.send_task(RUN_PREVIEW_TASK, args=[session_id], queue=GPU_QUEUE))
