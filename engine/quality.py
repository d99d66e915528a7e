"""Picture measures shared by the evaluation and the benchmark: PSNR, flicker, detail kept inside the face,
and the seam at the mask's edge.

The detail and seam measures compare the output with the frame it was made from, at the pixels the
composite wrote (``Composite.full_alpha()``), so they say what a compositor would see at 100 %: a face
re-rendered from a small crop and upscaled into the plate loses its pores and grain (sharpness ratio well
under 1), and they stop at the mask's edge, an outline around the face (seam ratio well under 1).
"""
from __future__ import annotations

import math

import cv2
import numpy as np

# Detail at the scale of pores, fine lines and film grain: what a Gaussian of this sigma (in pixels) removes.
DETAIL_SIGMA = 1.0


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0:
        return float("nan")
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def flicker(frames: list[np.ndarray], region: tuple[int, int, int, int]) -> float:
    """Mean absolute second temporal difference in ``region``: smooth motion scores low, jitter high."""
    x0, y0, x1, y1 = region
    seq = np.stack([f[y0:y1, x0:x1].astype(np.float32) for f in frames])
    if len(seq) < 3:
        return 0.0
    return float(np.abs(seq[2:] - 2 * seq[1:-1] + seq[:-2]).mean())


def _luma(frame: np.ndarray) -> np.ndarray:
    grey: np.ndarray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return grey


def detail(frame: np.ndarray) -> np.ndarray:
    """The frame's finest detail: its luma minus a slight blur of it."""
    luma = _luma(frame)
    fine: np.ndarray = luma - cv2.GaussianBlur(luma, (0, 0), DETAIL_SIGMA)
    return fine


def sharpness_ratio(output: np.ndarray, source: np.ndarray, alpha: np.ndarray) -> float:
    """RMS of the finest detail inside the face (alpha >= 0.5), output over source: 1.0 keeps the plate's
    detail, 0.25 is a face upscaled 4x from its crop, above 1 adds detail (or noise)."""
    inside = alpha >= 0.5
    if not inside.any():
        return float("nan")
    out_e = float(np.sqrt(np.mean(detail(output)[inside] ** 2)))
    src_e = float(np.sqrt(np.mean(detail(source)[inside] ** 2)))
    return out_e / src_e if src_e > 0 else float("nan")


def _band_energy(fine: np.ndarray, where: np.ndarray) -> float:
    return float(np.sqrt(np.mean(fine[where] ** 2))) if where.any() else float("nan")


def seam_ratio(output: np.ndarray, source: np.ndarray, alpha: np.ndarray) -> float:
    """Whether the face's texture runs on across the mask's edge: the finest detail in a band just inside the
    edge over a band just outside it, in the output, relative to the same in the source.

    1.0: grain and pores cross the edge as they do in the plate. Well under 1: they stop at the mask (a face
    smoother than the plate around it, the outline a compositor sees at once); above 1: a face noisier than
    the plate. The bands are a few percent of the face's size wide."""
    inside = (alpha >= 0.5).astype(np.uint8)
    if not inside.any():
        return float("nan")
    width = max(3, int(0.04 * np.sqrt(float(inside.sum()))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    inner = (inside > 0) & (cv2.erode(inside, kernel) == 0)
    touched = (alpha > 0).astype(np.uint8)
    outer = (cv2.dilate(touched, kernel) > 0) & (touched == 0)
    fine_out, fine_src = detail(output), detail(source)
    out_ratio = _band_energy(fine_out, inner) / _band_energy(fine_out, outer)
    src_ratio = _band_energy(fine_src, inner) / _band_energy(fine_src, outer)
    return out_ratio / src_ratio if src_ratio > 0 else float("nan")
