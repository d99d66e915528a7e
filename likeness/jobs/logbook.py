"""A job's log: the lines its page shows, from the web side and from the worker."""
from __future__ import annotations

from likeness.jobs.models import Job, JobLogLine


def job_log(job: Job | str, message: str, level: str = "info") -> None:
    JobLogLine.objects.create(job_id=getattr(job, "pk", job), message=message[:2000], level=level)
