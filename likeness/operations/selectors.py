"""Reads about the running platform: which workers are alive on which queue, how much waits in each queue,
and the health an operator watches (signing certificate, audit chain, disk)."""
from __future__ import annotations

import datetime as dt
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from likeness.operations.models import WorkerBeat

# What each queue is for, in the words of the pages that wait on it.
QUEUE_PURPOSES = {"gpu": "engine work: training, aging, live previews",
                  "default": "content fingerprints of outputs",
                  "sweeps": "the schedule: requeueing dead workers' jobs, grant expiry, audit checkpoints"}


def silent_after() -> dt.timedelta:
    """A worker that has not beaten for this long is taken for dead (it beats every WORKER_BEAT_SECONDS)."""
    return dt.timedelta(seconds=settings.WORKER_SILENT_SECONDS)


@dataclass(frozen=True)
class WorkerState:
    name: str
    queues: list[str]
    alive: bool
    status: str  # "busy", "idle", "stopped", "silent"
    last_seen_at: dt.datetime
    started_at: dt.datetime
    busy_with: str
    busy_since: dt.datetime | None
    tasks_done: int

    @property
    def seconds_since_seen(self) -> int:
        return max(0, int((timezone.now() - self.last_seen_at).total_seconds()))


def _state(beat: WorkerBeat, now: dt.datetime) -> WorkerState:
    if beat.stopped_at is not None and beat.stopped_at >= beat.started_at:
        alive, status = False, "stopped"
    elif now - beat.last_seen_at > silent_after():
        alive, status = False, "silent"
    else:
        alive, status = True, "busy" if beat.busy_with else "idle"
    return WorkerState(beat.name, list(beat.queues), alive, status, beat.last_seen_at, beat.started_at,
                       beat.busy_with, beat.busy_since, beat.tasks_done)


def workers() -> list[WorkerState]:
    now = timezone.now()
    return [_state(b, now) for b in WorkerBeat.objects.all()]


@dataclass(frozen=True)
class QueueHealth:
    queue: str
    purpose: str
    alive: list[WorkerState] = field(default_factory=list)
    # The most recently seen worker of this queue that is no longer alive (None: none ever ran here).
    last_gone: WorkerState | None = None

    @property
    def ok(self) -> bool:
        return bool(self.alive)

    @property
    def busy(self) -> int:
        return sum(1 for w in self.alive if w.status == "busy")

    @property
    def last_heartbeat(self) -> dt.datetime | None:
        seen = [w.last_seen_at for w in self.alive] or ([self.last_gone.last_seen_at] if self.last_gone else [])
        return max(seen) if seen else None

    @property
    def summary(self) -> str:
        if self.alive:
            n = len(self.alive)
            return (f"{n} worker{'s' if n != 1 else ''} alive on the {self.queue} queue ({self.busy} busy); "
                    f"last heartbeat {min(w.seconds_since_seen for w in self.alive)} s ago")
        if self.last_gone is None:
            return f"No worker has ever run on the {self.queue} queue: nothing here will start until one does."
        gone = self.last_gone
        how = "stopped" if gone.status == "stopped" else "went silent (it was killed or its machine stopped)"
        return (f"No worker is alive on the {self.queue} queue: work waits until one starts. The last one, "
                f"{gone.name}, {how}; last heartbeat {gone.last_seen_at:%Y-%m-%d %H:%M:%S} UTC.")


def queue_health(queue: str, states: list[WorkerState] | None = None) -> QueueHealth:
    states = workers() if states is None else states
    here = [w for w in states if queue in w.queues]
    gone = sorted((w for w in here if not w.alive), key=lambda w: w.last_seen_at, reverse=True)
    return QueueHealth(queue, QUEUE_PURPOSES.get(queue, ""), [w for w in here if w.alive],
                       gone[0] if gone else None)


def queues_health() -> list[QueueHealth]:
    from likeness.celery import DEFAULT_QUEUE, GPU_QUEUE, SWEEPS_QUEUE

    states = workers()
    return [queue_health(q, states) for q in (GPU_QUEUE, DEFAULT_QUEUE, SWEEPS_QUEUE)]


def queue_depths(queues: list[str], timeout: float = 2.0) -> dict[str, int | None]:
    """Messages waiting in each queue, read from the broker (None where it cannot say: unreachable broker)."""
    from likeness.celery import app

    depths: dict[str, int | None] = dict.fromkeys(queues)
    try:
        with app.connection_for_read(connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            channel = conn.channel()
            try:
                for name in queues:
                    try:
                        depths[name] = int(channel.queue_declare(queue=name, passive=True).message_count)
                    except Exception:  # a queue never declared has nothing waiting
                        depths[name] = 0
            finally:
                channel.close()
    except Exception:  # the page says the broker could not be read, and why not is in the log
        pass
    return depths


@dataclass(frozen=True)
class DiskUse:
    label: str
    path: Path
    free_bytes: int
    total_bytes: int

    @property
    def free_fraction(self) -> float:
        return self.free_bytes / self.total_bytes if self.total_bytes else 0.0

    @property
    def low(self) -> bool:
        return self.free_fraction < 0.1


def _disk(label: str, path: Path) -> DiskUse | None:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError:
        return None
    return DiskUse(label, path, usage.free, usage.total)


def platform_health() -> dict[str, Any]:
    """Everything the operator's health page shows, each part read independently so one failing part (an
    unreachable broker, a missing CA) never hides the others."""
    from likeness.audit.selectors import audit_chain_verify
    from likeness.provenance.models import SigningCertificate

    queues = queues_health()
    depths = queue_depths([q.queue for q in queues])
    now = timezone.now()
    certificate = SigningCertificate.objects.filter(active=True).first()
    cert: dict[str, Any] | None = None
    if certificate is not None:
        days = (certificate.not_after - now).days
        cert = {"serial": certificate.serial, "subject": certificate.subject, "not_after": certificate.not_after,
                "days_left": days, "expiring": days < 30, "fingerprint": certificate.fingerprint_sha256}
    started = time.perf_counter()
    chain = audit_chain_verify(every_checkpoint=False)
    chain_ms = (time.perf_counter() - started) * 1000
    storage = [d for d in (_disk("Platform data (database, broker, keys)", settings.VAR_DIR),
                           _disk("Media (footage, outputs)", Path(settings.MEDIA_ROOT))) if d is not None]
    return {"queues": [(q, depths.get(q.queue)) for q in queues], "workers": workers(), "certificate": cert,
            "chain": chain, "chain_ms": chain_ms, "disks": storage,
            "broker": "embedded (SQLite file)" if str(settings.CELERY_BROKER_URL).startswith("embedded+")
            else str(settings.CELERY_BROKER_URL).split("://", 1)[0]}
