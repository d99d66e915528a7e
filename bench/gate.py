"""Gate latency: p50/p99 of one decision for a performer with 1, 50 and 500 grant versions.

    python bench/gate.py [--iterations N] [--with-db]

The pure gate is timed on facts already in memory (what the gate itself costs). With --with-db the whole
service is timed too: load the facts from the database, decide, store the Decision and its audit event
(on the database DATABASE_URL names; a throwaway SQLite file by default).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "likeness.settings")

SIZES = (1, 50, 500)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def history(n: int):
    """n versions of one consent: n-1 superseded amendments (ages widening), the last one active."""
    from tests.factories import grant

    return tuple(grant(id=f"g{v}", version=v, status="active" if v == n else "superseded",
                       depicted_age_min=25, depicted_age_max=25 + min(v, 40)) for v in range(1, n + 1))


def time_pure(iterations: int) -> None:
    from likeness.policy.gate import evaluate
    from tests.factories import facts, request

    cases = {"allowed": request(depicted_age=26), "denied": request(depicted_age=90)}
    print(f"pure gate ({iterations} decisions per cell)")
    print("  warm: the same facts object decided again (each grant's digest already computed)")
    print("  cold: facts rebuilt before every decision (every grant hashed again), as a worker does per check")
    print(f"{'versions':>9} {'case':>8} {'warm p50':>9} {'warm p99':>9} {'cold p50':>9} {'cold p99':>9}  (ms)")
    for n in SIZES:
        grants = history(n)
        warm_facts = facts(*grants)
        for label, req in cases.items():
            evaluate(req, warm_facts)  # warm caches (pycountry lookups, imports)
            warm, cold = [], []
            for _ in range(iterations):
                start = time.perf_counter()
                evaluate(req, warm_facts)
                warm.append((time.perf_counter() - start) * 1000)
                fresh = facts(*(dataclasses.replace(g) for g in grants))
                start = time.perf_counter()
                evaluate(req, fresh)
                cold.append((time.perf_counter() - start) * 1000)
            print(f"{n:>9} {label:>8} {percentile(warm, .5):>9.3f} {percentile(warm, .99):>9.3f} "
                  f"{percentile(cold, .5):>9.3f} {percentile(cold, .99):>9.3f}")


def _install_versions(w, n: int) -> None:
    """n versions of one consent, inserted in bulk so that building 500 does not dominate the run."""
    from django.db import transaction
    from django.utils import timezone

    from likeness.consent.models import ConsentGrant
    from tests.conftest import grant_scope

    today = timezone.now().date()
    template = ConsentGrant(performer=w.performer, drafted_by=w.rep, document_sha256="a" * 64, **grant_scope(
        term_start=today - dt.timedelta(days=1), term_end=today + dt.timedelta(days=300)))
    fields = [f.attname for f in ConsentGrant._meta.concrete_fields if f.attname != "id"]
    with transaction.atomic():
        ConsentGrant.objects.filter(performer=w.performer).delete()
        rows = []
        for v in range(1, n + 1):
            row = ConsentGrant(**{name: getattr(template, name) for name in fields})
            row.version, row.status, row.depicted_age_max = v, ("active" if v == n else "superseded"), 25 + min(v, 40)
            rows.append(row)
        created = ConsentGrant.objects.bulk_create(rows)
        through = ConsentGrant.productions.through
        through.objects.bulk_create([through(consentgrant_id=g.pk, production_id=w.production.pk) for g in created])


def time_service(iterations: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from likeness.policy.requests import gate_request_build
    from likeness.policy.services import decision_make
    from tests.conftest import build_world

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        w = build_world()
    print(f"\nservice: load facts + decide + store Decision and audit event ({connection.vendor}, "
          f"{iterations} decisions per cell)")
    print(f"{'versions':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for n in SIZES:
        _install_versions(w, n)
        samples = []
        for _ in range(iterations):
            req = gate_request_build(performer=w.performer, production=w.production, use="de_aging",
                                     depicted_age=26, media=["theatrical"], territories=["US"],
                                     replica_types=["digital_alteration"])
            start = time.perf_counter()
            decision_make(request=req, performer=w.performer, production=w.production, purpose="what_if", by=w.vfx)
            samples.append((time.perf_counter() - start) * 1000)
        print(f"{n:>9} {percentile(samples, .5):>8.2f} {percentile(samples, .99):>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--with-db", action="store_true")
    args = parser.parse_args()
    import django

    if args.with_db and "DATABASE_URL" not in os.environ:
        os.environ["LIKENESS_VAR_DIR"] = tempfile.mkdtemp(prefix="likeness-bench-")
    django.setup()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)")
    time_pure(args.iterations)
    if args.with_db:
        time_service(max(50, args.iterations // 20))


if __name__ == "__main__":
    main()
