"""Does the engine aging test's outcome hang on one machine's numerics? Train its tiny model and judge again
under other CPU kernel settings, and print what the judge reads.

    python bench/engine_numerics.py              # five settings, one after another: about 7 minutes on 2 cores
    python bench/engine_numerics.py --parallel 2 --settings tests,avx2

Each setting runs in its own process with the environment it names, because PyTorch picks its kernels once,
at import: the thread count (which changes the order of reductions), the vector width of ATen's kernels
(ATEN_CPU_CAPABILITY), and oneDNN on or off (a different convolution implementation). The recipe is the
tests' own (tests/engine/recipe.py); the check is the test's (tests/engine/test_engine_pipeline.py:
judged ages in order for targets 20 < 50 < 80, and more than 15 years apart from 20 to 80).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# name -> (what it changes, environment)
SETTINGS: dict[str, tuple[str, dict[str, str]]] = {
    "tests": ("as make test runs it: one thread, the CPU's widest kernels", {"OMP_NUM_THREADS": "1"}),
    "threads2": ("two threads (reductions split differently)", {"OMP_NUM_THREADS": "2"}),
    "avx2": ("ATen kernels limited to AVX2", {"OMP_NUM_THREADS": "1", "ATEN_CPU_CAPABILITY": "avx2"}),
    "scalar": ("ATen's non-vectorised kernels", {"OMP_NUM_THREADS": "1", "ATEN_CPU_CAPABILITY": "default"}),
    "no_onednn": ("oneDNN off (PyTorch's own convolutions)", {"OMP_NUM_THREADS": "1", "BENCH_ONEDNN": "0"}),
}


def child() -> None:
    """One setting, in this process: train, judge, print one JSON line."""
    import torch

    if os.environ.get("BENCH_ONEDNN") == "0":
        torch.backends.mkldnn.enabled = False
    from tests.engine import recipe

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = recipe.train_tiny(Path(folder) / "tiny.safetensors")
        judged = recipe.judged_ages(checkpoint, recipe.train_judge(), recipe.clip_256())
    print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads(),
                      "onednn": torch.backends.mkldnn.enabled, "judged": judged,
                      "seconds": time.perf_counter() - started}))


def run(name: str) -> dict:
    _, env = SETTINGS[name]
    done = subprocess.run([sys.executable, __file__, "--child"], env={**os.environ, **env}, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--settings", default=",".join(SETTINGS), help="comma-separated: " + ", ".join(SETTINGS))
    parser.add_argument("--parallel", type=int, default=1, help="settings run at once (each on its threads)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return 0
    names = [n.strip() for n in args.settings.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETTINGS]
    if unknown:
        parser.error(f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(SETTINGS)}")
    with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        results = dict(zip(names, pool.map(run, names), strict=True))
    print(f"{'setting':<10} {'kernels':<8} {'threads':>7} {'oneDNN':>6}  {'judged 20 / 50 / 80':<22} "
          f"{'spread':>6}  test")
    failed = 0
    for name in names:
        r = results[name]
        if "error" in r:
            failed += 1
            print(f"{name:<10} error: {r['error']}")
            continue
        j = {float(k): v for k, v in r["judged"].items()}
        spread = j[80.0] - j[20.0]
        ok = j[20.0] < j[50.0] < j[80.0] and spread > 15
        failed += not ok
        ages = f"{j[20.0]:.1f} / {j[50.0]:.1f} / {j[80.0]:.1f}"
        print(f"{name:<10} {r['capability']:<8} {r['threads']:>7} {'on' if r['onednn'] else 'off':>6}  {ages:<22} "
              f"{spread:>6.1f}  {'passes' if ok else 'FAILS'}   ({r['seconds']:.0f} s; {SETTINGS[name][0]})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
