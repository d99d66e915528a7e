"""Writes of the worker registry (models.WorkerBeat), called from the worker processes themselves."""
from __future__ import annotations

import datetime as dt
import os
import socket

from django.db.models import F
from django.utils import timezone

from likeness.operations.models import WorkerBeat


def worker_register(*, name: str, queues: list[str]) -> WorkerBeat:
    """A worker that starts: a new row, or its name's old row started afresh (a restarted worker)."""
    now = timezone.now()
    beat, _ = WorkerBeat.objects.update_or_create(name=name[:200], defaults={
        "hostname": socket.gethostname()[:200], "pid": os.getpid(), "queues": sorted(queues), "started_at": now,
        "last_seen_at": now, "stopped_at": None, "busy_with": "", "busy_since": None, "tasks_done": 0})
    return beat


def worker_beat(*, name: str) -> bool:
    """The worker is alive now. False when its row is gone or was taken over by another process of its name."""
    return bool(WorkerBeat.objects.filter(name=name, pid=os.getpid()).update(last_seen_at=timezone.now()))


def worker_busy(*, name: str, doing: str) -> None:
    now = timezone.now()
    WorkerBeat.objects.filter(name=name, pid=os.getpid()).update(busy_with=doing[:200], busy_since=now,
                                                                 last_seen_at=now)


def worker_idle(*, name: str) -> None:
    WorkerBeat.objects.filter(name=name, pid=os.getpid()).update(
        busy_with="", busy_since=None, tasks_done=F("tasks_done") + 1, last_seen_at=timezone.now())


def worker_stopped(*, name: str) -> None:
    now = timezone.now()
    WorkerBeat.objects.filter(name=name, pid=os.getpid()).update(stopped_at=now, last_seen_at=now, busy_with="",
                                                                 busy_since=None)


def workers_forget(*, silent_for: dt.timedelta) -> int:
    """Rows of workers not seen for `silent_for` (scaled-down or renamed ones) leave the registry."""
    return WorkerBeat.objects.filter(last_seen_at__lt=timezone.now() - silent_for).delete()[0]
