"""Real photographs for the identity check's tests (tests/data/faces, and scikit-image's astronaut), and plates
made from them: the camera pushing in on a photograph, as H.264 or a PNG sequence."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

FACES = Path(__file__).resolve().parent / "data" / "faces"
PERFORMER = ("obama",)  # the performer's reference photograph
PERFORMER_ELSEWHERE = "obama3"  # another photograph of the performer
OTHERS = ("biden", "astronaut")  # other people


def photo(name: str) -> np.ndarray:
    if name == "astronaut":
        import skimage.data

        return skimage.data.astronaut()
    from PIL import Image

    return np.asarray(Image.open(FACES / f"{name}.jpg").convert("RGB"))


def push_in(image: np.ndarray, frames: int = 8, size: int = 480) -> list[np.ndarray]:
    """Frames of a photograph: the camera pushing in on its upper half, size x size."""
    import cv2

    h, w = image.shape[:2]
    side = min(w, h // 2 if h > w else h)
    out = []
    for i in range(frames):
        crop = int(side * (1.0 - 0.15 * i / frames))
        x0, y0 = (w - crop) // 2, max(0, (side - crop) // 2)
        out.append(cv2.resize(image[y0:y0 + crop, x0:x0 + crop], (size, size), interpolation=cv2.INTER_AREA))
    return out


def write_plate(frames: list[np.ndarray], path: Path) -> Path:
    """H.264 for a .mp4 path, else a PNG sequence (lossless, so frames passed through can be compared exactly)."""
    from engine.media import FrameWriter

    with FrameWriter(path, width=frames[0].shape[1], height=frames[0].shape[0], fps=Fraction(24)) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def push_in_plate(name: str, path: Path, frames: int = 8) -> Path:
    return write_plate(push_in(photo(name), frames), path)
