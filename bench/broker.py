"""The embedded broker under concurrent access: several processes publish while several others consume.

    python bench/broker.py [--messages 2000] [--producers 3] [--consumers 3] [--transport embedded|filesystem]

Each producer process sends --messages numbered messages through kombu (as Celery does); each consumer process
takes messages one at a time and acknowledges each, as a worker with prefetch 1 does, until all have arrived.
It prints messages per second published and delivered, the p50/p99 latency from send to receipt, and the
counts of lost, duplicated and unreadable messages, which must all be 0. `--transport filesystem` runs the same
load on Celery's filesystem transport for comparison (the embedded default before the SQLite broker).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _connection(transport: str, folder: str) -> Any:
    from kombu import Connection
    from kombu.transport import TRANSPORT_ALIASES

    TRANSPORT_ALIASES.setdefault("embedded", "likeness.operations.broker:Transport")
    if transport == "embedded":
        return Connection(f"embedded+sqlite:///{folder}/broker.sqlite3", transport_options={"polling_interval": 0.05})
    for sub in ("in", "processed", "control"):
        os.makedirs(f"{folder}/{sub}", exist_ok=True)
    return Connection("filesystem://", transport_options={
        "data_folder_in": f"{folder}/in", "data_folder_out": f"{folder}/in", "processed_folder": f"{folder}/processed",
        "store_processed": False, "control_folder": f"{folder}/control", "polling_interval": 0.05})


def produce(transport: str, folder: str, index: int, count: int, errors: Any) -> None:
    with _connection(transport, folder) as conn:
        queue = conn.SimpleQueue("bench")
        for n in range(count):
            try:
                queue.put({"id": f"{index}-{n}", "sent": time.time()})
            except Exception as exc:  # counted and reported
                errors.put(f"publish: {type(exc).__name__}: {exc}")
        queue.close()


def consume(transport: str, folder: str, total: int, received: Any, errors: Any, done: Any) -> None:
    with _connection(transport, folder) as conn:
        queue = conn.SimpleQueue("bench")
        while not done.is_set():
            try:
                message = queue.get(block=True, timeout=0.5)
            except queue.Empty:
                continue
            except Exception as exc:  # a corrupt message or a lock error: counted
                errors.put(f"consume: {type(exc).__name__}: {exc}")
                continue
            received.put((message.payload["id"], time.time() - message.payload["sent"]))
            message.ack()
        queue.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="per producer")
    parser.add_argument("--producers", type=int, default=3)
    parser.add_argument("--consumers", type=int, default=3)
    parser.add_argument("--transport", choices=["embedded", "filesystem"], default="embedded")
    args = parser.parse_args()
    total = args.messages * args.producers
    with tempfile.TemporaryDirectory() as folder:
        # Create the tables once before the race (as the platform's first publish does).
        with _connection(args.transport, folder) as conn:
            conn.SimpleQueue("bench").close()
        received, errors, done = mp.Queue(), mp.Queue(), mp.Event()
        consumers = [mp.Process(target=consume, args=(args.transport, folder, total, received, errors, done))
                     for _ in range(args.consumers)]
        for proc in consumers:
            proc.start()
        began = time.perf_counter()
        producers = [mp.Process(target=produce, args=(args.transport, folder, i, args.messages, errors))
                     for i in range(args.producers)]
        for proc in producers:
            proc.start()
        for proc in producers:
            proc.join()
        published = time.perf_counter() - began
        seen: dict[str, int] = {}
        latencies: list[float] = []
        deadline = time.monotonic() + 120
        while sum(seen.values()) < total and time.monotonic() < deadline:
            try:
                ident, latency = received.get(timeout=5)
            except Exception:  # nothing more arrives
                break
            seen[ident] = seen.get(ident, 0) + 1
            latencies.append(latency)
        delivered = time.perf_counter() - began
        time.sleep(1.0)  # a late duplicate would arrive now
        while not received.empty():
            ident, latency = received.get()
            seen[ident] = seen.get(ident, 0) + 1
        done.set()
        for proc in consumers:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        failures = []
        while not errors.empty():
            failures.append(errors.get())
    lost = total - len(seen)
    duplicated = sum(n - 1 for n in seen.values() if n > 1)
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else float("nan")
    print(f"transport {args.transport}: {args.producers} producers x {args.messages} messages, "
          f"{args.consumers} consumers")
    print(f"  published {total / published:.0f} msg/s; delivered {len(seen) / delivered:.0f} msg/s")
    print(f"  latency send->receive p50 {statistics.median(latencies) * 1000 if latencies else float('nan'):.0f} ms, "
          f"p99 {p99:.0f} ms")
    print(f"  lost {lost}, duplicated {duplicated}, errors {len(failures)}"
          + (f" (first: {failures[0]})" if failures else ""))


if __name__ == "__main__":
    main()
