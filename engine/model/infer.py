"""Running a trained age model on aligned crops, batched, on CPU or CUDA."""
from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import torch

from engine.device import autocast, pick_device
from engine.model.net import AgeModel


class AgeRenderer:
    """Wraps a trained model for inference: uint8 crops in, uint8 crops out."""

    def __init__(self, model: AgeModel, device: str | torch.device | None = None, batch_size: int = 32) -> None:
        self.device = pick_device(device if isinstance(device, str) or device is None else str(device))
        self.model = model.to(self.device).eval()
        self.cfg = model.cfg
        self.batch_size = batch_size
        if self.device.type == "cuda":
            # Module.to accepts memory_format at run time, but torch's overloads for it leave the keyword out.
            to = cast(Callable[..., AgeModel], self.model.to)
            self.model = to(memory_format=torch.channels_last)

    @torch.inference_mode()
    def __call__(self, crops: np.ndarray, target_age: float | np.ndarray) -> np.ndarray:
        if len(crops) == 0:
            return crops.copy()
        ages = np.broadcast_to(np.asarray(target_age, np.float32), (len(crops),))
        outs = []
        for i in range(0, len(crops), self.batch_size):
            c = torch.from_numpy(np.ascontiguousarray(crops[i:i + self.batch_size])).to(self.device)
            x = c.permute(0, 3, 1, 2).float().div_(255.0)
            if self.device.type == "cuda":
                x = x.contiguous(memory_format=torch.channels_last)
            a = torch.from_numpy((ages[i:i + self.batch_size] - self.cfg.age_min) / (self.cfg.age_max - self.cfg.age_min)).to(self.device)
            with autocast(self.device):
                y = self.model(x, a)
            outs.append((y.float().clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy())
        return np.concatenate(outs)

    @torch.inference_mode()
    def judge_age(self, crops: np.ndarray) -> np.ndarray:
        """The model's own critic's age estimate (years) for crops of this performer."""
        x = torch.from_numpy(np.ascontiguousarray(crops)).to(self.device).permute(0, 3, 1, 2).float().div_(255.0)
        u = self.model.critic(x).float().cpu().numpy()
        years: np.ndarray = u * (self.cfg.age_max - self.cfg.age_min) + self.cfg.age_min
        return years
