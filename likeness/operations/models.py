"""The worker registry: each Celery worker process records itself and beats while it runs.

Celery's own worker events need a broadcast-capable broker (the embedded one is not) and keep no history, so
the platform keeps its own, in its database, with every broker: pages that wait on a worker read it to say
whether one is alive, and the operator's health page to say which queues have none.
"""
from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    # Celery's node name (e.g. gpu@host): one row per name, reused when a worker of that name starts again.
    name = models.CharField(max_length=200, unique=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)
    # Set when the worker stops cleanly; a killed worker only stops beating.
    stopped_at = models.DateTimeField(null=True, blank=True)
    # What it is doing now: "" when idle, else the task and its argument (a job or preview id).
    busy_with = models.CharField(max_length=200, blank=True, default="")
    busy_since = models.DateTimeField(null=True, blank=True)
    tasks_done = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
