"""Soft face mask in canonical crop coordinates."""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

# Ellipse covering brows to chin and cheek to cheek (fractions of the crop side), matching TEMPLATE_5.
MASK_CENTRE = (0.5, 0.60)
MASK_AXES = (0.27, 0.36)
FEATHER = 0.07  # width of the soft edge, fraction of the crop side


@lru_cache(maxsize=8)
def face_mask(size: int) -> np.ndarray:
    """float32 size x size in [0, 1]: 1 inside the face, a feathered edge, exactly 0 outside the ellipse.

    The hard ellipse is shrunk by the feather width and then blurred with a kernel no wider than that
    width, so the blur never reaches past the outer ellipse: outside it the mask is exactly zero, which is
    what lets the compositor leave those pixels bit-identical.
    """
    scale = 4  # draw large for a smooth edge, then reduce
    big = size * scale
    f = FEATHER * big
    mask: np.ndarray = np.zeros((big, big), np.float32)  # cv2.blur below returns its looser MatLike
    centre = (int(MASK_CENTRE[0] * big), int(MASK_CENTRE[1] * big))
    axes = (max(1, int(MASK_AXES[0] * big - f)), max(1, int(MASK_AXES[1] * big - f)))
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1.0, -1)
    k = int(f) | 1
    mask = cv2.blur(mask, (k, k))
    mask = cv2.blur(mask, (k, k))  # two box passes: a smooth, strictly bounded ramp
    small = cv2.resize(mask, (size, size), interpolation=cv2.INTER_AREA)
    small[small < 1e-3] = 0.0
    return small
