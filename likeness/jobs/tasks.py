"""Celery tasks: thin wrappers that take ids and call the runner and services."""
from __future__ import annotations

from celery import shared_task
from celery.signals import worker_process_init, worker_ready
from django.conf import settings
from django.db import InterfaceError, OperationalError


@shared_task(bind=True, acks_late=True, max_retries=5, soft_time_limit=settings.JOB_TIME_LIMIT_SECONDS,
             time_limit=settings.JOB_TIME_LIMIT_SECONDS + 120)
def run_job(self, job_id: str) -> str:
    from likeness.jobs.runner import run_job as run

    try:
        return run(job_id, worker=self.request.hostname or "worker")
    except (OperationalError, InterfaceError) as exc:
        # The database was unreachable for a moment: try again (the claim makes a second run harmless).
        raise self.retry(exc=exc, countdown=min(60, 2 ** self.request.retries)) from exc


@shared_task(bind=True, acks_late=False, soft_time_limit=settings.JOB_TIME_LIMIT_SECONDS,
             time_limit=settings.JOB_TIME_LIMIT_SECONDS + 120)
def run_preview_session(self, session_id: str) -> str:
    # Not acks_late: a live preview whose worker died is over; delivering it again later would replay a stale
    # session on a monitor nobody is watching (the claim would refuse it anyway: it is no longer queued).
    from likeness.jobs.preview_runner import run_preview

    return run_preview(session_id, worker=self.request.hostname or "worker")


@shared_task
def requeue_stale_jobs() -> list[str]:
    """Jobs of dead workers go back to the queue (or fail, after their last attempt); their live previews end
    (a preview is never replayed). Routed to the `sweeps` queue, which no engine worker consumes."""
    from likeness.jobs.previews import previews_end_stale
    from likeness.jobs.worker import jobs_requeue_stale

    previews_end_stale()
    return jobs_requeue_stale()


@shared_task
def expire_grants() -> int:
    from likeness.consent.services import grants_expire

    return len(grants_expire())


@worker_ready.connect
def _requeue_on_start(**kwargs: object) -> None:
    """A worker that starts (e.g. replacing one that was killed) first puts orphaned jobs back in the queue."""
    from likeness.jobs.worker import jobs_requeue_stale

    jobs_requeue_stale()


@worker_process_init.connect
def _load_engine(**kwargs: object) -> None:
    """Engine workers load the engine (and torch) once at start, not inside the first job's time. Workers that
    do not consume the `gpu` queue (sweeps, default) never run it: they skip the import and its memory."""
    from likeness.celery import GPU_QUEUE, app

    if GPU_QUEUE in app.amqp.queues.consume_from:
        import engine.api  # noqa: F401
