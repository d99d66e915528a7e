"""Device choice, seeding and determinism (and a typed backward pass)."""
from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import cast

import numpy as np
import torch


def pick_device(name: str | None = None) -> torch.device:
    """``name`` may be "cpu", "cuda", "cuda:1" or None/"auto" (CUDA when present)."""
    if name in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        from engine.errors import EngineError

        raise EngineError("CUDA was requested but no CUDA device is available")
    return dev


def seed_everything(seed: int, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy and torch. On CPU, deterministic algorithms make a run repeatable bit for bit."""
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def autocast(device: torch.device) -> torch.autocast:
    """Mixed precision on CUDA (bfloat16 where supported), a no-op context on CPU."""
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    return torch.autocast("cpu", enabled=False)


def backward(loss: torch.Tensor) -> None:
    """``loss.backward()``. torch leaves ``Tensor.backward`` unannotated; this is the one typed door to it."""
    cast(Callable[[], None], loss.backward)()
