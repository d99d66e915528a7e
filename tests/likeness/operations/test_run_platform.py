"""`make run`'s supervisor (manage.py run_platform) on a fresh embedded instance of its own: the web server and
three workers start; a worker killed with SIGKILL shows on the health page as gone, is started again with the
reason logged, and shows alive again; Ctrl-C stops everything cleanly (status 0, no process left behind)."""
from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

REPO = Path(settings.BASE_DIR)
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(check: Callable[[], Any], timeout: float, what: str, log: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text(errors='replace')[-3000:]}")


class Instance:
    def __init__(self, root: Path):
        self.var = root / "var"
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "LIKENESS_TEST_DB", "DJANGO_SETTINGS_MODULE")}
        self.env.update({"LIKENESS_VAR_DIR": str(self.var), "LIKENESS_PKI_DIR": str(self.var / "pki"),
                         "LIKENESS_MEDIA_ROOT": str(self.var / "media"), "DJANGO_DEBUG": "1",
                         "LIKENESS_WORKER_BEAT_SECONDS": "0.5", "LIKENESS_WORKER_SILENT_SECONDS": "1.5",
                         "PYTHONUNBUFFERED": "1"})
        self.port = _free_port()
        self.out = root / "run_platform.out"
        self.proc: subprocess.Popen[bytes] | None = None
        self.cookie = ""

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=self.env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        # An operator's signed-in session, made as Django's test client makes one, for reading pages over HTTP.
        self.cookie = self.manage("shell", "-c", (
            "from django.contrib.auth import get_user_model; from django.test import Client; "
            "u = get_user_model().objects.create_superuser('ops', 'ops@example.test', 'pw'); c = Client(); "
            "c.force_login(u); print(c.cookies['sessionid'].value)")).strip().splitlines()[-1]
        self.proc = subprocess.Popen([sys.executable, "manage.py", "run_platform", "--port", str(self.port)],
                                     cwd=REPO, env=self.env, stdout=open(self.out, "wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def page(self, path: str) -> str:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                         headers={"Cookie": f"sessionid={self.cookie}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return re.sub(r"\s+", " ", response.read().decode())
        except OSError:
            return ""  # not serving yet

    def worker_pid(self, queue: str) -> int | None:
        with sqlite3.connect(self.var / "likeness.sqlite3", timeout=30) as db:
            row = db.execute("SELECT pid FROM operations_workerbeat WHERE name LIKE ?", (f"{queue}@%",)).fetchone()
        return int(row[0]) if row else None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Instance]:
    inst = Instance(tmp_path)
    yield inst
    inst.stop()
    # Whatever the test did, no worker of this instance may outlive it.
    for queue in ("gpu", "default", "sweeps"):
        pid = inst.worker_pid(queue) if (inst.var / "likeness.sqlite3").exists() else None
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _alive(page: str, queue: str) -> bool:
    return bool(re.search(rf'data-worker="{queue}@[^"]+" data-status="(idle|busy)"', page))


def test_a_killed_worker_is_reported_and_started_again_and_ctrl_c_stops_cleanly(instance):
    instance.start()
    health = "/operations/health/"
    _wait(lambda: all(_alive(instance.page(health), q) for q in ("gpu", "default", "sweeps")), 180,
          "the three workers to register", instance.out)
    first = instance.worker_pid("gpu")
    assert first
    os.kill(first, signal.SIGKILL)
    gone = _wait(lambda: (p := instance.page(health)) and "No worker is alive on the gpu queue" in p and p, 30,
                 "the health page to say the engine worker is gone", instance.out)
    assert "went silent (it was killed or its machine stopped)" in gone
    _wait(lambda: (instance.worker_pid("gpu") not in (None, first)) and _alive(instance.page(health), "gpu"), 180,
          "the supervisor to start the engine worker again", instance.out)
    out = instance.out.read_text(errors="replace")
    assert "worker gpu killed by signal SIGKILL" in out and "starting it again" in out
    assert "worker gpu killed by signal SIGKILL" in (instance.var / "run_platform.log").read_text()
    pids = [instance.worker_pid(q) for q in ("gpu", "default", "sweeps")]

    assert instance.proc is not None
    os.killpg(instance.proc.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's foreground group
    assert instance.proc.wait(timeout=60) == 0
    out = instance.out.read_text(errors="replace")
    assert out.rstrip().endswith("run_platform: stopped"), out[-2000:]
    assert "Traceback" not in out and "Segmentation fault" not in out, out[-3000:]
    for pid in pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    # The workers that stopped cleanly said so in the registry.
    with sqlite3.connect(instance.var / "likeness.sqlite3") as db:
        stopped = db.execute("SELECT COUNT(*) FROM operations_workerbeat WHERE stopped_at IS NOT NULL").fetchone()[0]
    assert stopped == 3


def test_a_web_server_that_cannot_start_stops_the_workers_and_fails(instance):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", instance.port))
        taken.listen()
        instance.start()
        assert instance.proc is not None
        assert instance.proc.wait(timeout=120) == 1
    out = instance.out.read_text(errors="replace")
    assert "the web server exited with status" in out and out.rstrip().endswith("run_platform: stopped"), out[-2000:]
