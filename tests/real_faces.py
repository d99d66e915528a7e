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


def outside_the_face(frame: np.ndarray, margin: float = 0.6) -> np.ndarray:
    """True outside dlib's own HOG face box (not the engine's mask), grown by ``margin`` of its size on every side
    (the mask reaches past the box to the hairline and jaw)."""
    import dlib

    boxes = dlib.get_frontal_face_detector()(frame, 1)
    assert len(boxes) == 1, "the test plate shows one face"
    x0, y0, x1, y1 = boxes[0].left(), boxes[0].top(), boxes[0].right(), boxes[0].bottom()
    dx, dy = margin * (x1 - x0), margin * (y1 - y0)
    keep = np.ones(frame.shape[:2], bool)
    keep[max(0, int(y0 - dy)):int(y1 + dy) + 1, max(0, int(x0 - dx)):int(x1 + dx) + 1] = False
    return keep
