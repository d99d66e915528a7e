"""Face detection (dlib HOG, on a downscaled frame) and 5-point landmarks (dlib shape predictor)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import dlib
import numpy as np

from engine.face.models import model_path


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float
    score: float = 0.0

    @property
    def area(self) -> float:
        return max(0.0, self.right - self.left) * max(0.0, self.bottom - self.top)

    def to_dlib(self) -> dlib.rectangle:
        return dlib.rectangle(int(round(self.left)), int(round(self.top)), int(round(self.right)), int(round(self.bottom)))


def to_gray(frame: np.ndarray) -> np.ndarray:
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


@lru_cache(maxsize=1)
def _hog() -> dlib.fhog_object_detector:
    return dlib.get_frontal_face_detector()


class FaceDetector:
    """HOG frontal-face detector. Runs on a copy of the frame scaled so its longer side is at most
    ``max_side`` pixels: HOG cost grows with pixel count, and faces on set are large."""

    def __init__(self, max_side: int = 640, upsample: int = 0, min_score: float = 0.0) -> None:
        self.max_side = max_side
        self.upsample = upsample
        self.min_score = min_score

    def detect(self, frame: np.ndarray) -> list[Box]:
        gray = to_gray(frame)
        h, w = gray.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        small = cv2.resize(gray, (int(round(w * scale)), int(round(h * scale))), interpolation=cv2.INTER_AREA) if scale < 1 else gray
        rects, scores, _ = _hog().run(small, self.upsample, self.min_score)
        boxes = [Box(r.left() / scale, r.top() / scale, r.right() / scale, r.bottom() / scale, float(s))
                 for r, s in zip(rects, scores)]
        return sorted(boxes, key=lambda b: b.area, reverse=True)


@lru_cache(maxsize=1)
def _shape_predictor() -> dlib.shape_predictor:
    return dlib.shape_predictor(str(model_path("shape_predictor_5_face_landmarks.dat")))


class LandmarkPredictor:
    """dlib's 5-point model: both corners of each eye and the base of the nose."""

    def predict(self, frame: np.ndarray, box: Box) -> np.ndarray:
        shape = _shape_predictor()(to_gray(frame), box.to_dlib())
        return np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], np.float32)
