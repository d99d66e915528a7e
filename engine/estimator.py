"""An independent age estimator, the judge used by the evaluation and the tests.

It is trained on synthetic performers whose seeds never appear in the engine's training data, from
ground-truth renders aligned with the generator's exact landmarks. Training images are randomly blurred
and re-exposed so the judge reads age cues (lines, greying, spots, sagging), not the sharpness that
separates a model's output from a photograph.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from engine import synthetic
from engine.device import backward, seed_everything
from engine.face.align import align_face
from engine.model.net import AgeCritic

AGE_LO, AGE_HI = 10.0, 90.0


def judge_crops(seeds: Sequence[int], per_seed: int, crop: int, *, sample_seed: int = 0,
                size: tuple[int, int] = (320, 320)) -> tuple[np.ndarray, np.ndarray]:
    """Aligned ground-truth crops of the given identities at random ages, poses and light."""
    rng = np.random.default_rng(123_000 + sample_seed)
    crops, ages = [], []
    for s in seeds:
        perf = synthetic.SyntheticPerformer(s)
        for _ in range(per_seed):
            age = float(rng.uniform(synthetic.AGE_MIN, synthetic.AGE_MAX))
            r = perf.render(age, synthetic.random_params(rng), size, background_variant=int(rng.integers(0, 8)))
            lms = r.landmarks + rng.normal(0, 0.8, r.landmarks.shape).astype(np.float32)  # detector-like noise
            crops.append(align_face(r.image, lms, crop).crop)
            ages.append(age)
    return np.stack(crops), np.asarray(ages, np.float32)


@dataclass
class AgeEstimator:
    net: AgeCritic
    crop: int

    @torch.inference_mode()
    def predict(self, crops: np.ndarray) -> np.ndarray:
        if crops.shape[1] != self.crop:
            crops = np.stack([cv2.resize(c, (self.crop, self.crop), interpolation=cv2.INTER_AREA) for c in crops])
        x = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float() / 255.0
        out = []
        for i in range(0, len(x), 64):
            out.append(self.net(x[i:i + 64]).numpy())
        return np.concatenate(out) * (AGE_HI - AGE_LO) + AGE_LO


def _degrade(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    sigma = torch.rand(n, generator=gen) * 1.2
    out = []
    for i in range(n):
        s = float(sigma[i])
        if s > 0.3:
            k = 5
            t = torch.arange(k, dtype=torch.float32) - k // 2
            g = torch.exp(-(t ** 2) / (2 * s * s))
            g = g / g.sum()
            xi = F.conv2d(F.pad(x[i:i + 1], (2, 2, 2, 2), mode="replicate"), g.view(1, 1, 1, k).repeat(3, 1, 1, 1), groups=3)
            xi = F.conv2d(xi, g.view(1, 1, k, 1).repeat(3, 1, 1, 1), groups=3)
            out.append(xi)
        else:
            out.append(x[i:i + 1])
    y = torch.cat(out)
    gain = 1 + (torch.rand(n, 3, 1, 1, generator=gen) - 0.5) * 0.2
    return (y * gain).clamp(0, 1)


def train_estimator(crops: np.ndarray, ages: np.ndarray, *, steps: int = 600, batch_size: int = 64, seed: int = 0,
                    lr: float = 3e-3) -> AgeEstimator:
    seed_everything(seed)
    gen = torch.Generator().manual_seed(seed)
    crop = crops.shape[1]
    net = AgeCritic(crop, width=24)
    data = torch.from_numpy(crops).permute(0, 3, 1, 2).float() / 255.0
    target = torch.from_numpy((ages - AGE_LO) / (AGE_HI - AGE_LO))
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        idx = torch.randint(0, len(data), (min(batch_size, len(data)),), generator=gen)
        x = _degrade(data[idx], gen)
        loss = F.smooth_l1_loss(net(x), target[idx], beta=0.05)
        opt.zero_grad(set_to_none=True)
        backward(loss)
        opt.step()
        sched.step()
    net.eval()
    return AgeEstimator(net=net, crop=crop)
