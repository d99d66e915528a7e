"""Audit chain throughput with checkpoints on, and what a checkpoint and a full verification cost.

    DATABASE_URL=postgres://root@127.0.0.1:5432/likeness python bench/audit.py [--events 20000] [--every 1000]

On a throwaway test database (created and dropped here; SQLite when DATABASE_URL is unset), it appends
--events audit events one transaction each, as the platform's services do, first with no checkpoint, then with
a checkpoint written every --every events (signed by a throwaway CA, timestamped by its loopback authority). It
prints events per second for both in the same run, the time of one checkpoint (which reads only the events
since the previous one), and audit_verify's time over the whole chain against its checkpoints.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "likeness.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")


def append(n: int, start: int) -> float:
    from django.db import transaction

    from likeness.audit.services import audit_record

    began = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            audit_record(actor=None, action="bench.event", object_type="bench", object_id=str(start + i),
                         data={"n": start + i, "note": "a change recorded with its event"})
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--every", type=int, default=1000, help="events between checkpoints")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="likeness-audit-bench-"))
    os.environ["LIKENESS_PKI_DIR"] = str(work / "pki")
    os.environ["LIKENESS_AUDIT_CHECKPOINT_DIR"] = str(work / "checkpoints")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from likeness.audit.checkpoints import checkpoint_write
    from likeness.audit.selectors import audit_chain_verify
    from likeness.signing import pki

    pki.pki_create()
    dbs = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"{connection.vendor}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {args.events} events "
              f"per phase, one transaction each; a checkpoint every {args.every} events")
        plain = append(args.events, 0)
        checkpoint_write()  # the chain so far, so the next phase's checkpoints each cover --every new events
        spent, costs, done = 0.0, [], args.events
        for _ in range(args.events // args.every):
            spent += append(args.every, done)
            done += args.every
            began = time.perf_counter()
            checkpoint_write()
            costs.append(time.perf_counter() - began)
        with_checkpoints = spent + sum(costs)
        costs.sort()
        began = time.perf_counter()
        report = audit_chain_verify()
        verify = time.perf_counter() - began
        print(f"  without checkpoints: {args.events / plain:8.0f} events/s")
        print(f"  with checkpoints:    {args.events / with_checkpoints:8.0f} events/s "
              f"({with_checkpoints / plain:.3f}x the time of the same events without)")
        print(f"  one checkpoint of {args.every} new events: median {costs[len(costs) // 2] * 1000:.1f} ms, "
              f"max {costs[-1] * 1000:.1f} ms")
        print(f"  audit_verify over {report.events_checked} events and {len(costs) + 1} checkpoints: "
              f"{verify:.2f} s ({report.events_checked / verify:.0f} events/s), ok={report.ok}")
    finally:
        teardown_databases(dbs, verbosity=0)


if __name__ == "__main__":
    main()
