"""The engine tests' trained tiny model, independent judge and clip, as plain functions: the session fixtures
(tests/engine/conftest.py) build them once, and bench/engine_numerics.py builds them again under other CPU
kernel settings to show that the aging test's outcome does not hang on one machine's numerics."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine import synthetic

PERFORMER_SEED = 1
TARGETS = (20.0, 50.0, 80.0)


def train_tiny(out_path: Path) -> Path:
    """A tiny per-performer model (about a minute on 2 CPU cores), 600 steps, seed 0."""
    from engine.api import train_model

    refs = synthetic.reference_set(PERFORMER_SEED, 160, size=(256, 256))
    out = train_model([(r.image, r.age) for r in refs], performer_id="synthetic-1", out_path=out_path,
                      config="tiny", steps=600, batch_size=24, seed=0)
    return out.checkpoint


def train_judge() -> Any:
    """Independent age estimator: identities 201-208 never appear in the engine's training data."""
    from engine.estimator import judge_crops, train_estimator

    crops, ages = judge_crops(range(201, 209), 30, 48, size=(256, 256))
    return train_estimator(crops, ages, steps=250, batch_size=48, seed=0)


def clip_256() -> list[synthetic.Rendered]:
    perf = synthetic.SyntheticPerformer(PERFORMER_SEED)
    return synthetic.render_clip(perf, 40.0, synthetic.clip_params(5, 10), (256, 256))


def judged_ages(checkpoint: Path, judge: Any, clip: list[synthetic.Rendered]) -> dict[float, float]:
    """The judge's mean age of the clip aged to each target."""
    from engine.api import load_renderer
    from engine.face.align import align_face
    from engine.pipeline import FaceAger

    renderer, _ = load_renderer(checkpoint)
    judged = {}
    for target in TARGETS:
        outs = FaceAger(renderer).process_batch([r.image for r in clip], target)
        crops = np.stack([align_face(o.frame, r.landmarks, judge.crop).crop for o, r in zip(outs, clip, strict=True)])
        judged[target] = float(judge.predict(crops).mean())
    return judged
