"""Each Celery worker process registers itself (models.WorkerBeat), beats from a thread of its own while it
runs, records what it is doing, and marks itself stopped on a clean shutdown. Connected to Celery's signals,
which fire only inside worker processes: the web server never runs any of this."""
from __future__ import annotations

import logging
import threading
from typing import Any

from celery.signals import task_postrun, task_prerun, worker_ready, worker_shutdown
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

log = logging.getLogger(__name__)
_state: dict[str, Any] = {"name": None, "thread": None}
_stop = threading.Event()


def _beat_forever(name: str, queues: list[str], registered: bool) -> None:
    from likeness.operations import services

    while not _stop.wait(settings.WORKER_BEAT_SECONDS):
        try:
            if not registered:
                services.worker_register(name=name, queues=queues)
                registered = True
            elif not services.worker_beat(name=name):
                log.warning("worker registry: the row of %s belongs to another process now", name)
        except DatabaseError as exc:
            # A locked or briefly unreachable database: the next beat tries again, on a fresh connection.
            log.warning("worker registry: heartbeat not written (%s)", exc)
            close_old_connections()
    connection.close()


@worker_ready.connect
def _register(sender: Any = None, **_kwargs: object) -> None:
    from likeness.operations import services

    name, queues = str(sender.hostname), list(sender.app.amqp.queues.consume_from)
    try:
        services.worker_register(name=name, queues=queues)
        registered = True
    except DatabaseError as exc:
        # The worker runs all the same; its beat thread registers it once the database answers.
        log.warning("worker registry: %s not registered yet (%s)", name, exc)
        registered = False
    _state["name"] = name
    _stop.clear()
    thread = threading.Thread(target=_beat_forever, args=(name, queues, registered), name="worker-registry",
                              daemon=True)
    _state["thread"] = thread
    thread.start()


def _doing(task: Any, args: Any) -> str:
    label = str(getattr(task, "name", "task")).rsplit(".", 1)[-1]
    first = str(args[0]) if args else ""
    return f"{label} {first}".strip()


@task_prerun.connect
def _busy(task: Any = None, args: Any = None, **_kwargs: object) -> None:
    if _state["name"]:
        from likeness.operations import services

        try:
            services.worker_busy(name=_state["name"], doing=_doing(task, args))
        except DatabaseError as exc:
            log.warning("worker registry: could not record the task's start (%s)", exc)


@task_postrun.connect
def _idle(**_kwargs: object) -> None:
    if _state["name"]:
        from likeness.operations import services

        try:
            services.worker_idle(name=_state["name"])
        except DatabaseError as exc:
            log.warning("worker registry: could not record the task's end (%s)", exc)


@worker_shutdown.connect
def _stopped(**_kwargs: object) -> None:
    name = _state["name"]
    if not name:
        return
    from likeness.operations import services

    _stop.set()
    thread = _state["thread"]
    if thread is not None:
        thread.join(timeout=5)
    try:
        services.worker_stopped(name=name)
    except DatabaseError as exc:
        log.warning("worker registry: could not record the stop (%s)", exc)
