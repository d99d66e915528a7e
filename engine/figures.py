"""Figures for people: training loss curves and an age-sweep grid, drawn with OpenCV (no plotting library).

`python -m engine eval` and the platform's training jobs draw with the same code, so a model page shows the
same pictures an evaluation report does.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np

COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194)]


def loss_curves_image(history: dict[str, list[float]], *, width: int = 720, height: int = 420) -> np.ndarray | None:
    """Every loss series on a log10 axis against the training step; RGB, or None when there is nothing to draw."""
    series = {k: np.log10(np.maximum(np.asarray(v, np.float64), 1e-5)) for k, v in history.items() if v and max(v) > 0}
    if not series:
        return None
    w, h, pad = width, height, 40
    img = np.full((h, w, 3), 255, np.uint8)
    lo = min(float(s.min()) for s in series.values())
    hi = max(float(s.max()) for s in series.values())
    cv2.rectangle(img, (pad, pad), (w - pad, h - pad), (0, 0, 0), 1)
    for i, (name, s) in enumerate(series.items()):
        xs = pad + np.linspace(0, w - 2 * pad, len(s))
        ys = h - pad - (s - lo) / max(hi - lo, 1e-6) * (h - 2 * pad)
        pts = np.stack([xs, ys], 1).astype(np.int32)
        col = COLOURS[i % len(COLOURS)]
        cv2.polylines(img, [pts], False, col, 2, cv2.LINE_AA)
        cv2.putText(img, name, (w - pad - 110, pad + 18 + 16 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.45, col, 1, cv2.LINE_AA)
    cv2.putText(img, "training losses (log10) vs step", (pad, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, f"{hi:.2f}", (2, pad + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    cv2.putText(img, f"{lo:.2f}", (2, h - pad), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    return img


def age_sweep_image(rows: Sequence[Sequence[np.ndarray]], header: Sequence[str], *, cell: int = 128,
                    row_labels: Sequence[str] | None = None) -> np.ndarray:
    """A grid of equally sized crops (RGB), one header label per column and optionally one per row."""
    label_w = 0
    if row_labels:
        label_w = 8 + max(cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)[0][0] for t in row_labels)
    lines = []
    for r, row in enumerate(rows):
        cells = [cv2.resize(c, (cell, cell), interpolation=cv2.INTER_CUBIC) if c.shape[0] != cell else c for c in row]
        line = np.hstack(cells)
        if row_labels:  # exactly when label_w > 0
            tag = np.full((cell, label_w, 3), 255, np.uint8)
            cv2.putText(tag, row_labels[r], (4, cell // 2 + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
            line = np.hstack([tag, line])
        lines.append(line)
    grid = np.vstack(lines)
    label = np.full((24, grid.shape[1], 3), 255, np.uint8)
    for i, text in enumerate(header):
        x = label_w + cell * i + (8 if i == 0 else cell // 2 - 10)
        cv2.putText(label, text, (x, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([label, grid])


def write_png(path: str | os.PathLike[str], rgb: np.ndarray) -> None:
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")


def sweep_targets(age_min: float, age_max: float, *, step: float = 10.0) -> list[float]:
    """Target ages every `step` years inside the model's range, always including both ends."""
    ages = list(np.arange(np.ceil(age_min / step) * step, age_max + 1e-6, step))
    return sorted({float(age_min), *map(float, ages), float(age_max)})


def training_figures(checkpoint: str | os.PathLike[str], references: Sequence[object], history: dict[str, list[float]],
                     out_dir: str | os.PathLike[str], *, performer_id: str | None = None, stem: str = "model",
                     device: str | None = None, frames_per_reference: int = 12) -> dict[str, str]:
    """Draw a trained model's figures next to its checkpoint: `<stem>-loss_curves.png` from the training history,
    and `<stem>-age_sweep.png`: for each reference (one row, labelled with its age), the first aligned face
    found in it, then the model's render of that face at every target age across the model's range.

    ``references`` are `engine.api.Reference`s. Returns {"loss_curves": path, "age_sweep": path} for what it
    could draw (a reference with no face in its first frames gives no row)."""
    from itertools import islice
    from pathlib import Path

    from engine.api import _reference_frames, crops_from_frames, load_renderer  # torch: workers only

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    curves = loss_curves_image(history)
    if curves is not None:
        path = out / f"{stem}-loss_curves.png"
        write_png(path, curves)
        written["loss_curves"] = str(path)
    renderer, meta = load_renderer(checkpoint, performer_id=performer_id, device=device)
    cfg = meta.config
    targets = sweep_targets(max(cfg.age_min, 20.0), min(cfg.age_max, 80.0))  # the range eval reports on
    rows, labels = [], []
    for ref in references:
        found = crops_from_frames(islice(_reference_frames([ref]), frames_per_reference), cfg.crop)  # type: ignore[list-item]
        if len(found.crops) == 0:
            continue
        crop = found.crops[:1]
        rows.append([crop[0], *(renderer(crop, t)[0] for t in targets)])
        labels.append(f"age {float(found.ages[0]):g}")
    if rows:
        path = out / f"{stem}-age_sweep.png"
        write_png(path, age_sweep_image(rows, ["input", *(f"{t:g}" for t in targets)], row_labels=labels))
        written["age_sweep"] = str(path)
    return written
