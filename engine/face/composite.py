"""Compositing an aged crop back into the frame: inverse warp, colour match, the plate's detail, feathered blend.

Only pixels where the warped mask is non-zero are written; every other pixel of the frame is copied
bit for bit, so the rest of the plate is untouched by construction.

The plate's detail: the model sees the face at its crop's resolution, smaller than the face in the plate,
so what the crop cannot hold (pores, film grain, the finest lines) is lost when its output is scaled back up.
That band is exactly the plate minus the plate's own crop scaled back up the same way, and it is added to the
model's face, as a retoucher's frequency separation does. Where the model changed the face's broad shape or
shading a lot (an open mouth closed), the plate's detail there belongs to a face that is no longer there, so
it fades out with the size of the change. With a model that changes nothing, the plate comes back as it was.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.face.align import invert_affine
from engine.face.mask import face_mask

# The change (8-bit luma levels, between the model's face and the plate's at the crop's resolution) at which
# the plate's detail is kept at 1/e: a change of shading (10-25 levels) keeps most of the grain and pores,
# a changed feature (60 levels and more) keeps a tenth or less.
DETAIL_CHANGE_SCALE = 40.0
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


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


def plate_detail(region: np.ndarray, source_low: np.ndarray, face_low: np.ndarray, scale: float) -> np.ndarray:
    """The plate's detail the crop could not hold, faded where the model changed the face (see the module).

    ``region`` is the plate, ``source_low`` the plate's own crop scaled back up over it, ``face_low`` the
    model's face scaled up the same way (all float32, H x W x 3); ``scale`` is plate pixels per crop pixel."""
    fine = region - source_low
    change = np.abs((face_low - source_low) @ LUMA)
    change = cv2.GaussianBlur(change, (0, 0), max(1.0, scale))  # judged over a crop pixel, not pixel by pixel
    keep = np.exp(-np.square(change / DETAIL_CHANGE_SCALE))
    kept: np.ndarray = fine * keep[..., None]
    return kept


def composite_face(frame: np.ndarray, aged_crop: np.ndarray, matrix: np.ndarray, *, source_crop: np.ndarray | None = None,
                   colour_strength: float = 0.5, mask: np.ndarray | None = None, detail: bool = True) -> Composite:
    """Blend ``aged_crop`` (the model's face at the crop's size) into ``frame`` through the inverse of ``matrix``.

    With ``source_crop`` (the plate's crop the model was given): its mean colour is matched, and, with
    ``detail``, the plate's detail finer than the crop is carried into the face (see the module)."""
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
    if detail and source_crop is not None:
        source_low = cv2.warpAffine(source_crop.astype(np.float32), shifted, (bw, bh), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE)
        scale = float(np.sqrt(abs(np.linalg.det(inv[:, :2]))))  # plate pixels per crop pixel
        warped = warped + plate_detail(rf, source_low, warped, scale)
    blended = np.clip(rf + alpha[..., None] * (warped - rf) + 0.5, 0, 255).astype(np.uint8)
    out = frame.copy()
    out[y0:y1, x0:x1] = np.where(alpha[..., None] > 0, blended, region)
    return Composite(out, (int(x0), int(y0), int(x1), int(y1)), alpha)
