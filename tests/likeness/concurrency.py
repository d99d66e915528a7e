"""Helpers for tests that hold one thread at a point (a slow storage copy, the engine at work) and check that
another writer gets through meanwhile: the platform keeps its database transactions to moments."""
from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection, transaction


def probe_other_writer(job_id: str, grant_id: int) -> str:
    """Another writer (the web process, say) tries to write for up to one second. Returns '' when it could,
    else the error. On SQLite any open write transaction holds the database's one write lock; on PostgreSQL
    the worker would hold the job's and the grant's rows."""
    if connection.vendor == "sqlite":
        other = sqlite3.connect(connection.settings_dict["NAME"], timeout=1.0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE jobs_job SET stage = stage WHERE id = ?", [job_id.replace("-", "")])
            other.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            return str(exc)
        finally:
            other.close()
        return ""
    from django.db import OperationalError

    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = '1s'")
            cur.execute("SELECT 1 FROM jobs_job WHERE id = %s FOR NO KEY UPDATE", [job_id])
            cur.execute("SELECT 1 FROM consent_consentgrant WHERE id = %s FOR NO KEY UPDATE", [grant_id])
            cur.execute("SELECT 1 FROM audit_auditchainhead FOR UPDATE")
    except OperationalError as exc:
        return str(exc)
    return ""


class Pauses:
    """Holds the worker thread at a named point until the test has looked around."""

    def __init__(self) -> None:
        self.reached: dict[str, threading.Event] = {}
        self.resume: dict[str, threading.Event] = {}
        self.in_transaction: dict[str, bool] = {}

    def point(self, name: str) -> None:
        self.in_transaction[name] = connection.in_atomic_block  # the worker thread's own connection
        self.reached.setdefault(name, threading.Event()).set()
        if not self.resume.setdefault(name, threading.Event()).wait(120):
            raise TimeoutError(f"the test never resumed {name}")

    def wait(self, name: str, thread: threading.Thread) -> None:
        deadline = time.monotonic() + 120
        while not self.reached.setdefault(name, threading.Event()).wait(0.2):
            assert thread.is_alive() and time.monotonic() < deadline, f"the worker never reached {name}"

    def release(self, name: str) -> None:
        self.resume.setdefault(name, threading.Event()).set()

    @contextmanager
    def held(self, name: str, thread: threading.Thread) -> Iterator[None]:
        """Run the block while `thread` is held at `name`; then let it go on and wait for it to end."""
        try:
            self.wait(name, thread)
            yield
        finally:
            self.release(name)
            thread.join(120)

    def pause_storage_copies(self, monkeypatch: pytest.MonkeyPatch, *prefixes: str, name: str = "store") -> None:
        """Hold every copy into filesystem storage whose stored name starts with one of `prefixes` at `name`
        (what a slow volume or S3 upload looks like to the thread that makes it)."""
        original_save = FileSystemStorage._save

        def slow_save(storage: FileSystemStorage, stored_name: str, content: Any) -> str:
            if stored_name.startswith(prefixes):
                self.point(name)
            return original_save(storage, stored_name, content)

        monkeypatch.setattr(FileSystemStorage, "_save", slow_save)
