"""The per-performer age model: configuration, network, checkpoints, training and inference."""
from __future__ import annotations

from engine.model.config import PRESETS, ModelConfig, preset

__all__ = ["PRESETS", "ModelConfig", "preset"]
