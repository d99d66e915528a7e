"""Run the platform on one machine: the web server and its three workers, supervised.

    python manage.py run_platform [--host 127.0.0.1] [--port 8000]

The workers (as in production, docs/deploy.md): `gpu` (the engine, one job at a time), `default`
(fingerprints), `sweeps` (the schedule). A worker that exits for any reason is started again, and the reason
(exit status or signal, and the end of its log) is printed and written to var/run_platform.log; one that keeps
dying at once is restarted with a growing delay, never given up on. Ctrl-C (or SIGTERM) stops the web server,
then asks each worker to stop, and kills those still running after a grace period: a job cut off this way is
queued again by the sweep when the platform next runs.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from likeness.celery import DEFAULT_QUEUE, GPU_QUEUE, SWEEPS_QUEUE

GRACE_SECONDS = 10.0
# A worker that ran at least this long before exiting is restarted at once; one that dies sooner waits
# 1, 2, 4 ... up to MAX_BACKOFF seconds (a broken install must not spin the CPU).
HEALTHY_SECONDS = 30.0
MAX_BACKOFF = 30.0


@dataclass
class Child:
    name: str
    argv: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float = 0.0
    restarts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _reason(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def _tail(path: Path, lines: int = 5) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 4000))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def worker_children(var: Path) -> list[Child]:
    """The three workers, as in production: no engine worker consumes the sweeps, and the schedule (beat) runs
    in the sweeps worker, so a long engine job never holds up the sweep that rescues a dead worker's job."""
    celery = [sys.executable, "-m", "celery", "-A", "likeness", "worker", "--pool=solo", "--concurrency=1",
              "--loglevel=INFO"]
    return [
        Child("gpu", [*celery, "-Q", GPU_QUEUE, "-n", "gpu@%h"], var / "worker.log"),
        Child("default", [*celery, "-Q", DEFAULT_QUEUE, "-n", "default@%h"], var / "worker-default.log"),
        Child("sweeps", [*celery, "-Q", SWEEPS_QUEUE, "-n", "sweeps@%h", "-B", "--schedule",
                         str(var / "celerybeat-schedule")], var / "worker-sweeps.log"),
    ]


class Command(BaseCommand):
    help = "Run the web server and its workers on this machine, restarting any worker that exits."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-web", action="store_true", help="workers only (e.g. beside another server)")
        parser.add_argument("--demo", action="store_true",
                            help="first migrate, make sure of the CA and load the demo data (what `make run` does), in "
                                 "this process: each separate command would pay Django's start-up again")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["demo"]:
            self.stdout.write("==> Database: applying migrations")
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write("==> Signing CA: checking it matches the database")
            call_command("pki_init", if_missing=True)
            self.stdout.write("==> Demo data: adding what is missing")
            call_command("seed_demo")
        var = Path(settings.VAR_DIR)
        var.mkdir(parents=True, exist_ok=True)
        self.journal: TextIO = (var / "run_platform.log").open("a", encoding="utf-8")
        self.workers = worker_children(var)
        self.web: subprocess.Popen[bytes] | None = None
        self.stopping = 0
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        for child in self.workers:
            self._start(child)
        if not options["no_web"]:
            # Its own session too, so that Ctrl-C reaches only this supervisor, which stops everything in order.
            self.web = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload",
                                         f"{options['host']}:{options['port']}"], cwd=settings.BASE_DIR,
                                        start_new_session=True)
        if self.web is not None:
            self._say(f"open http://{options['host']}:{options['port']}/ and sign in"
                      f"{' with a demo login above' if options['demo'] else ''} (API docs at /api/v1/docs/)")
        self._say(f"running: workers {', '.join(c.name for c in self.workers)} (logs in {var}); "
                  "Ctrl-C stops everything")
        try:
            web_failed = self._supervise()
        finally:
            self._stop_all()
            self.journal.close()
        if web_failed:
            # The web server stopped by itself (its port taken, say: its own message is above): a failure.
            raise SystemExit(1)

    def _say(self, message: str) -> None:
        line = f"[{dt.datetime.now():%Y-%m-%d %H:%M:%S}] run_platform: {message}"
        self.stdout.write(line)
        self.stdout.flush()
        self.journal.write(line + "\n")
        self.journal.flush()

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stopping += 1
        if self.stopping > 1:
            self._say("stopping now: killing what is still running")
            for child in self.workers:
                self._kill(child.proc)

    def _start(self, child: Child) -> None:
        log = child.log.open("ab")
        try:
            child.proc = subprocess.Popen(child.argv, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            log.close()
        child.started = time.monotonic()

    def _supervise(self) -> bool:
        """Until Ctrl-C or SIGTERM (False), or until the web server stops by itself (True)."""
        while not self.stopping:
            if self.web is not None and self.web.poll() is not None:
                self._say(f"the web server {_reason(self.web.returncode)}: stopping the workers")
                return True
            now = time.monotonic()
            for child in self.workers:
                if child.proc is not None and child.proc.poll() is not None:
                    lived = now - child.started
                    child.failures = 0 if lived >= HEALTHY_SECONDS else child.failures + 1
                    delay = 0.0 if child.failures == 0 else min(MAX_BACKOFF, 2.0 ** (child.failures - 1))
                    tail = _tail(child.log)
                    self._say(f"worker {child.name} {_reason(child.proc.returncode)} after {lived:.0f} s; "
                              f"starting it again{f' in {delay:.0f} s' if delay else ''} (log {child.log.name}):"
                              + (f"\n{tail}" if tail else " its log is empty"))
                    child.proc = None
                    child.restart_at = now + delay
                if child.proc is None and now >= child.restart_at and not self.stopping:
                    child.restarts += 1
                    self._start(child)
            time.sleep(0.5)
        return False

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGKILL) -> None:
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass

    def _stop_all(self) -> None:
        self._say("stopping: the web server, then the workers (each finishes or puts back what it is doing)")
        self._kill(self.web, signal.SIGTERM)
        for child in self.workers:
            self._kill(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        procs = [p for p in [self.web, *(c.proc for c in self.workers)] if p is not None]
        while time.monotonic() < deadline and any(p.poll() is None for p in procs):
            time.sleep(0.2)
        late = [c.name for c in self.workers if c.proc is not None and c.proc.poll() is None]
        for proc in procs:
            self._kill(proc)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if late:
            self._say(f"killed after {GRACE_SECONDS:.0f} s: {', '.join(late)} (an unfinished job is queued again "
                      "when the platform next runs)")
        self._say("stopped")
