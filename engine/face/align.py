"""Similarity alignment of a face to a canonical crop from its 5 landmarks."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Canonical 5-point positions as fractions of the crop side, in dlib's order (one eye's outer and inner
# corner, the other eye's outer and inner corner, nose base). Measured on a frontal face and made
# symmetric: eyes at 40% height and 30% of the width apart leave room for the forehead and the chin.
TEMPLATE_5 = np.array(
    [[0.712, 0.400], [0.588, 0.400], [0.288, 0.400], [0.412, 0.400], [0.500, 0.624]], np.float32
)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping src points onto dst.

    Closed form (Umeyama): with 5 reliable points a robust estimator buys nothing and costs time.
    Returns a 2x3 matrix.
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s_c, d_c = src - mu_s, dst - mu_d
    cov = d_c.T @ s_c / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1] = -1
    rot = u @ np.diag(d) @ vt
    var_s = (s_c ** 2).sum() / len(src)
    scale = (sig * d).sum() / var_s
    t = mu_d - scale * rot @ mu_s
    return np.hstack([scale * rot, t[:, None]]).astype(np.float64)


def invert_affine(m: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(np.asarray(m, np.float64))


@dataclass
class AlignedFace:
    crop: np.ndarray  # size x size x 3 uint8 RGB
    matrix: np.ndarray  # 2x3, frame -> crop
    landmarks: np.ndarray  # 5x2 in the frame

    @property
    def size(self) -> int:
        return int(self.crop.shape[0])


def align_matrix(landmarks: np.ndarray, size: int) -> np.ndarray:
    return similarity_transform(landmarks, TEMPLATE_5 * size)


def align_face(frame: np.ndarray, landmarks: np.ndarray, size: int) -> AlignedFace:
    m = align_matrix(landmarks, size)
    crop = cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_AREA if m[0, 0] ** 2 + m[0, 1] ** 2 < 0.25 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    return AlignedFace(crop=crop, matrix=m, landmarks=np.asarray(landmarks, np.float32))
