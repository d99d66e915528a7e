"""The embedded broker: Celery messages in a SQLite file, for the run command that needs no server.

kombu's SQLAlchemy transport, with what concurrent processes on one SQLite file need: WAL journaling (readers
never wait for the writer), a busy timeout (a writer waits for the lock instead of failing at once) and the
poll interval taken out of the options that kombu would otherwise hand to SQLAlchemy's create_engine. Each
take is one `BEGIN IMMEDIATE` transaction (kombu's), so two workers never receive the same message.

The filesystem transport it replaces corrupted under concurrent access (a half-written message file read as
JSON by a polling worker killed the worker). Production uses Redis or RabbitMQ; see docs/deploy.md.

URL: `embedded+sqlite:////absolute/path/broker.sqlite3` (the alias is registered in likeness/celery.py).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from kombu.transport import sqlalchemy as kombu_sqla
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine

SCHEME = "embedded"
# kombu's options for itself (the virtual transport's and Celery's retry policy), never create_engine's.
_KOMBU_OPTIONS = {"queue_tablename", "message_tablename", "callback", "errback", "max_retries", "interval_start",
                  "interval_step", "interval_max", "retry_errors", "polling_interval", "busy_timeout_seconds"}
BUSY_TIMEOUT_SECONDS = 30.0


def _pragmas(busy_timeout: float) -> Any:
    def on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across a crash of the process (not of the machine) under WAL: the messages are the
        # next few minutes of work, and every job is also recorded, with its state, in the platform database.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()
    return on_connect


def engine_for(url: str, busy_timeout: float = BUSY_TIMEOUT_SECONDS, **options: Any) -> Engine:
    """A SQLAlchemy engine on the broker file with the pragmas above on each connection."""
    engine = create_engine(url, connect_args={"timeout": busy_timeout}, **options)
    event.listen(engine, "connect", _pragmas(busy_timeout))
    return engine


class Channel(kombu_sqla.Channel):
    def _engine_from_config(self) -> Engine:
        client = self.connection.client
        options = {k: v for k, v in client.transport_options.items() if k not in _KOMBU_OPTIONS}
        busy = float(client.transport_options.get("busy_timeout_seconds", BUSY_TIMEOUT_SECONDS))
        return engine_for(client.hostname, busy, **options)


class Transport(kombu_sqla.Transport):
    Channel = Channel
    # Polled: a short interval keeps queueing latency low (each poll is an indexed read of a small table).
    polling_interval = 0.2


def is_embedded(url: str) -> bool:
    return url.startswith(f"{SCHEME}+")


def delivered_purge(url: str, *, older_than: dt.timedelta) -> int:
    """Delete the messages workers took more than `older_than` ago. kombu marks a delivered message invisible
    and never deletes it, so without this the file grows by every task ever sent. A message is taken when
    its task starts; its row is not needed after that (a worker that stops cleanly puts an unfinished task
    back as a new message; one that is killed loses it, and the job's heartbeat sweep queues the job again)."""
    if not is_embedded(url):
        return 0
    engine = engine_for(url.split("+", 1)[1])
    try:
        if not inspect(engine).has_table("kombu_message"):
            return 0  # nothing was ever sent
        with engine.begin() as connection:
            # kombu stamps `timestamp` when it marks the message taken, in local time (datetime.now), stored
            # as SQLAlchemy writes datetimes to SQLite: text that sorts as time does.
            cutoff = (dt.datetime.now() - older_than).strftime("%Y-%m-%d %H:%M:%S.%f")
            result = connection.execute(text("DELETE FROM kombu_message WHERE visible = 0 AND timestamp < :cutoff"),
                                        {"cutoff": cutoff})
            return int(result.rowcount or 0)
    finally:
        engine.dispose()
