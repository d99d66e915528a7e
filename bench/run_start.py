"""How long `make run` takes to serve the sign-in page, and that Ctrl-C stops it cleanly.

    python bench/run_start.py [--runs 2] [--port 8765]

Runs `make run` in this checkout (the first run on a fresh clone includes installing the dependencies and
creating the database, the CA and the demo data: the cold start; later runs are warm starts), waits for
/login/ to answer 200, then sends Ctrl-C (SIGINT to its process group) and checks it stops cleanly and leaves no
worker behind. Prints the seconds to serving for each run.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    for n in range(args.runs):
        log = open(REPO / "var" / f"bench-run-{n}.log", "wb") if (REPO / "var").exists() else subprocess.DEVNULL
        began = time.perf_counter()
        proc = subprocess.Popen(["make", "run", f"PORT={args.port}"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        while not serving(args.port):
            if proc.poll() is not None:
                raise SystemExit(f"make run exited with status {proc.returncode} before serving")
            if time.perf_counter() - began > 900:
                raise SystemExit("make run did not serve within 15 minutes")
            time.sleep(0.2)
        ready = time.perf_counter() - began
        time.sleep(5)  # the workers finish starting
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=60)
        left = subprocess.run(["pgrep", "-f", f"{REPO}.*celery -A likeness"], capture_output=True, text=True).stdout
        # make itself receives the Ctrl-C too and ends by it (status -2), silently, once its recipe has stopped.
        clean = "clean" if code in (0, -signal.SIGINT) else f"exit status {code}"
        print(f"run {n + 1} ({'cold or warm' if n == 0 else 'warm'}): serving after {ready:.1f} s; Ctrl-C: {clean}; "
              f"workers left: {len(left.split())}")


if __name__ == "__main__":
    main()
