"""Same-person and different-person distances of dlib's 128-D face embeddings: the measurements behind the
identity check's threshold (engine.face.identity.SAME_PERSON_DISTANCE).

    python bench/identity.py                  # real photographs and 12 synthetic performers, under a minute
    python bench/identity.py --synthetic 24

Real photographs: the three in tests/data/faces (two of one person, one of another; see its README) and
scikit-image's astronaut. Synthetic performers: each rendered at ages 25 and 65 in two poses and lights; a pair
is "same" when it is one performer (across age, pose and light), "different" otherwise. Prints, for each
class, the smallest, median and largest distance, and how far the threshold sits from the nearest of each.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import synthetic  # noqa: E402
from engine.face import identity  # noqa: E402
from tests.real_faces import OTHERS, PERFORMER, PERFORMER_ELSEWHERE, photo  # noqa: E402


def real_embeddings() -> dict[str, list[np.ndarray]]:
    """Person -> the embedding of the largest face in each of their photographs."""
    own = [identity.embed_faces(photo(name))[0] for name in (*PERFORMER, PERFORMER_ELSEWHERE)]
    return {"performer": own, **{name: [identity.embed_faces(photo(name))[0]] for name in OTHERS}}


def synthetic_embeddings(count: int) -> dict[str, list[np.ndarray]]:
    people: dict[str, list[np.ndarray]] = {}
    for seed in range(1, count + 1):
        performer = synthetic.SyntheticPerformer(seed)
        params = synthetic.clip_params(seed * 13, 2, amount=0.8)
        people[f"synthetic-{seed}"] = [identity.embed_landmarks(r.image, r.landmarks)
                                       for age in (25.0, 65.0)
                                       for r in (performer.render(age, p, (320, 320)) for p in params)]
    return people


def pair_distances(people: dict[str, list[np.ndarray]]) -> tuple[list[float], list[float]]:
    same = [float(np.linalg.norm(a - b)) for faces in people.values() for a, b in itertools.combinations(faces, 2)]
    different = [float(np.linalg.norm(a - b)) for (_, fa), (_, fb) in itertools.combinations(people.items(), 2)
                 for a in fa for b in fb]
    return same, different


def report(title: str, people: dict[str, list[np.ndarray]], threshold: float) -> None:
    same, different = pair_distances(people)
    print(f"{title}: {len(people)} people, {len(same)} same-person pairs, {len(different)} different-person pairs")
    for name, values in (("same person", same), ("different people", different)):
        if values:
            v = np.array(values)
            print(f"  {name:<17} min {v.min():.3f}  median {np.median(v):.3f}  max {v.max():.3f}")
    if same and different:
        print(f"  threshold {threshold:.2f}: {threshold - max(same):+.3f} above the farthest same-person pair, "
              f"{min(different) - threshold:+.3f} below the nearest different-person pair; "
              f"misread pairs: {sum(d >= threshold for d in same)} same, {sum(d < threshold for d in different)} "
              "different")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--synthetic", type=int, default=12, help="synthetic performers to measure")
    args = parser.parse_args()
    threshold = identity.SAME_PERSON_DISTANCE
    report("real photographs", real_embeddings(), threshold)
    report("synthetic performers", synthetic_embeddings(args.synthetic), threshold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
