"""Shared fixtures for the engine tests: a tiny model trained once per session on a synthetic performer,
and an independent age judge trained on other synthetic identities."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import synthetic
from tests.engine import recipe


@pytest.fixture(scope="session")
def engine_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine")


@pytest.fixture(scope="session")
def tiny_checkpoint(engine_tmp: Path) -> Path:
    """A tiny per-performer model (about a minute on 2 CPU cores; recipe.train_tiny).

    Spread of judged ages for targets 20-80 by the independent judge (seeds 0-3, measured 2026-12-02 on 2 CPU
    cores): 21, 1, 15 before the critic judged augmented decodes (one seed fooled its own critic and did not
    age at all); 22, 28, 13, 23 with it. Seed 0 under five CPU kernel settings (bench/engine_numerics.py,
    2026-12-04): 20.1 to 22.0. The tiny engine's aging strength still varies with the seed: that is the engine
    issue's to fix, not this fixture's."""
    return recipe.train_tiny(engine_tmp / "tiny.safetensors")


@pytest.fixture(scope="session")
def untrained_checkpoint(engine_tmp: Path) -> Path:
    """A tiny model with its initial weights: it changes the faces it is given, which is all the tests of
    plumbing around the model (identity, plates, codecs) need."""
    import torch

    from engine.model.checkpoint import CheckpointMeta, save_checkpoint
    from engine.model.config import preset
    from engine.model.net import AgeModel

    torch.manual_seed(0)
    cfg = preset("tiny")
    return save_checkpoint(engine_tmp / "untrained.safetensors", AgeModel(cfg),
                           CheckpointMeta(performer_id="performer", config=cfg, dataset_manifest_sha256="0" * 64,
                                          steps=0, age_range=(20.0, 80.0)))


@pytest.fixture(scope="session")
def age_judge():
    """Independent age estimator: identities 201-208 never appear in the engine's training data."""
    return recipe.train_judge()


@pytest.fixture(scope="session")
def clip_256() -> list[synthetic.Rendered]:
    return recipe.clip_256()


@pytest.fixture
def write_video():  # returns the helper below
    """The video-writing helper, as a fixture (test modules cannot import conftest in importlib mode)."""
    return _write_video


def _write_video(path: Path, frames: list[np.ndarray], fps: int = 24, audio: bool = False) -> Path:
    """Write an H.264 MP4 (optionally with an AAC tone) with PyAV directly, independent of engine.media."""
    from fractions import Fraction

    import av

    h, w = frames[0].shape[:2]
    c = av.open(str(path), "w")
    v = c.add_stream("libx264", rate=fps)
    v.width, v.height, v.pix_fmt = w, h, "yuv420p"
    a = None
    if audio:
        a = c.add_stream("aac", rate=16000)
        a.layout = "mono"
    for i, f in enumerate(frames):
        vf = av.VideoFrame.from_ndarray(f, format="rgb24")
        vf.pts, vf.time_base = i, Fraction(1, fps)
        for p in v.encode(vf):
            c.mux(p)
    for p in v.encode(None):
        c.mux(p)
    if a is not None:
        n = int(16000 * len(frames) / fps)
        t = np.arange(n) / 16000
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for s in range(0, n, 1024):
            af = av.AudioFrame.from_ndarray(samples[None, s:s + 1024], format="fltp", layout="mono")
            af.sample_rate = 16000
            for p in a.encode(af):
                c.mux(p)
        for p in a.encode(None):
            c.mux(p)
    c.close()
    return path
