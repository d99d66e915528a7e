"""Compositing an aged crop back into the frame: inverse warp, colour match, feathered blend.

Only pixels where the warped mask is non-zero are written; every other pixel of the frame is copied
bit for bit, so the rest of the plate is untouched by construction.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.face.align import invert_affine
from engine.face.mask import face_mask


@dataclass
class Composite:
    frame: np.ndarray
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 of the written region
    alpha: np.ndarray  # float32 mask over bbox (0 where the frame was left untouched)

    def full_alpha(self) -> np.ndarray:
        h, w = self.frame.shape[:2]
        out = np.zeros((h, w), np.float32)
        x0, y0, x1, y1 = self.bbox
        out[y0:y1, x0:x1] = self.alpha
        return out


def colour_match(aged: np.ndarray, source: np.ndarray, mask: np.ndarray, strength: float) -> np.ndarray:
    """Shift the aged crop's mean colour inside the mask toward the source crop's.

    The model reproduces the plate's light only approximately; a per-channel mean shift removes the
    residual cast. ``strength`` < 1 keeps part of the model's own colour change (sallower, greyer skin).
    """
    w = mask[..., None]
    total = float(w.sum()) + 1e-6
    diff = ((source.astype(np.float32) - aged.astype(np.float32)) * w).sum((0, 1)) / total
    matched: np.ndarray = np.clip(aged.astype(np.float32) + strength * diff, 0, 255)
    return matched


def composite_face(frame: np.ndarray, aged_crop: np.ndarray, matrix: np.ndarray, *, source_crop: np.ndarray | None = None,
                   colour_strength: float = 0.5, mask: np.ndarray | None = None) -> Composite:
    size = aged_crop.shape[0]
    mask = face_mask(size) if mask is None else mask
    aged = aged_crop.astype(np.float32)
    if source_crop is not None and colour_strength > 0:
        aged = colour_match(aged, source_crop, mask, colour_strength)
    inv = invert_affine(matrix)  # crop -> frame
    ys, xs = np.nonzero(mask)
    h, w = frame.shape[:2]
    if len(xs) == 0:
        return Composite(frame.copy(), (0, 0, 0, 0), np.zeros((0, 0), np.float32))
    corners = np.array([[xs.min(), ys.min()], [xs.max() + 1, ys.min()], [xs.max() + 1, ys.max() + 1], [xs.min(), ys.max() + 1]],
                       np.float64)
    pts = corners @ inv[:, :2].T + inv[:, 2]
    x0, y0 = np.floor(pts.min(0)).astype(int) - 1
    x1, y1 = np.ceil(pts.max(0)).astype(int) + 1
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return Composite(frame.copy(), (0, 0, 0, 0), np.zeros((0, 0), np.float32))
    shifted = inv.copy()
    shifted[:, 2] -= (x0, y0)
    bw, bh = x1 - x0, y1 - y0
    warped = cv2.warpAffine(aged, shifted, (bw, bh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(mask, shifted, (bw, bh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    alpha[alpha < 1.0 / 255] = 0.0  # a weight that cannot change an 8-bit value must not touch the pixel
    region = frame[y0:y1, x0:x1]
    rf = region.astype(np.float32)
    blended = np.clip(rf + alpha[..., None] * (warped - rf) + 0.5, 0, 255).astype(np.uint8)
    out = frame.copy()
    out[y0:y1, x0:x1] = np.where(alpha[..., None] > 0, blended, region)
    return Composite(out, (int(x0), int(y0), int(x1), int(y1)), alpha)
