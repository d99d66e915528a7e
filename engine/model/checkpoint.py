"""Checkpoints: safetensors weights plus metadata saying whose model it is and how it was made.

Metadata (all strings, as safetensors requires): format, performer_id, model_config (JSON),
config_fingerprint, dataset_manifest_sha256, steps, engine_version, created_utc, age_range, extra JSON.
Loading checks the file against what the caller expects, so a model of one performer can never be
applied to another performer's plate by mistake.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from engine import ENGINE_VERSION
from engine.errors import CheckpointError
from engine.model.config import ModelConfig
from engine.model.net import AgeModel

FORMAT = "likeness-engine/age-model/2"  # 2: detail path + realism head (engine 0.2.0)


@dataclass
class CheckpointMeta:
    performer_id: str
    config: ModelConfig
    dataset_manifest_sha256: str
    steps: int
    engine_version: str = ENGINE_VERSION
    created_utc: str = ""
    age_range: tuple[float, float] = (0.0, 0.0)
    extra: dict[str, object] = field(default_factory=dict)

    def to_strings(self) -> dict[str, str]:
        return {
            "format": FORMAT,
            "performer_id": self.performer_id,
            "model_config": self.config.to_json(),
            "config_fingerprint": self.config.fingerprint,
            "dataset_manifest_sha256": self.dataset_manifest_sha256,
            "steps": str(self.steps),
            "engine_version": self.engine_version,
            "created_utc": self.created_utc or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "age_range": json.dumps(list(self.age_range)),
            "extra": json.dumps(self.extra, sort_keys=True),
        }

    @classmethod
    def from_strings(cls, md: dict[str, str]) -> CheckpointMeta:
        return cls(
            performer_id=md["performer_id"], config=ModelConfig.from_json(md["model_config"]),
            dataset_manifest_sha256=md["dataset_manifest_sha256"], steps=int(md["steps"]),
            engine_version=md["engine_version"], created_utc=md.get("created_utc", ""),
            age_range=tuple(json.loads(md.get("age_range", "[0, 0]"))),
            extra=json.loads(md.get("extra", "{}")),
        )


def save_checkpoint(path: str | os.PathLike[str], model: AgeModel, meta: CheckpointMeta) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    tmp = path.with_suffix(path.suffix + ".part")
    save_file(state, str(tmp), metadata=meta.to_strings())
    os.replace(tmp, path)  # a crash mid-write never leaves a half checkpoint under the final name
    return path


def read_meta(path: str | os.PathLike[str]) -> CheckpointMeta:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file does not exist")
    try:
        with safe_open(str(path), framework="pt") as f:
            md = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a readable safetensors checkpoint ({exc})") from exc
    if str(md.get("format", "")).startswith(FORMAT.rsplit("/", 1)[0] + "/") and md.get("format") != FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {md.get('format')!r} was written by another engine version "
                              f"(this one reads {FORMAT!r}); retrain the model")
    if md.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a likeness engine age model (format {md.get('format')!r})")
    try:
        return CheckpointMeta.from_strings(md)
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: checkpoint metadata is incomplete or invalid ({exc})") from exc


def load_checkpoint(path: str | os.PathLike[str], *, performer_id: str | None = None,
                    config: ModelConfig | str | None = None, device: torch.device | str = "cpu") -> tuple[AgeModel, CheckpointMeta]:
    """Load a model, refusing a checkpoint of another performer or another configuration."""
    meta = read_meta(path)
    if performer_id is not None and meta.performer_id != str(performer_id):
        raise CheckpointError(
            f"{path}: checkpoint belongs to performer {meta.performer_id!r}, not {performer_id!r}")
    if config is not None:
        want_name = config if isinstance(config, str) else config.name
        if meta.config.name != want_name or (not isinstance(config, str) and config.fingerprint != meta.config.fingerprint):
            raise CheckpointError(
                f"{path}: checkpoint is a {meta.config.name!r} model (config {meta.config.fingerprint}); "
                f"expected {want_name!r}" + ("" if isinstance(config, str) else f" (config {config.fingerprint})"))
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{path}: checkpoint weights are corrupt ({exc})") from exc
    model = AgeModel(meta.config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not match the model configuration recorded in the file") from exc
    return model.to(device).eval(), meta


def manifest_sha256(entries: list[dict[str, object]]) -> str:
    """Hash of a dataset manifest (one entry per training item), independent of entry order."""
    lines = sorted(json.dumps(e, sort_keys=True) for e in entries)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def weights_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
