"""Face tracking: detect every few frames, follow the landmarks in between, smooth them over time.

HOG detection is the costliest face stage (tens of ms per frame); landmark prediction on a known box is
about a millisecond. Between detections the box comes from the previous frame's landmarks, and a cheap
appearance check (correlation of a tiny aligned crop against the last detected face) notices when the
face has left or been occluded, forcing a fresh detection on that very frame.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from engine.face.align import TEMPLATE_5, similarity_transform
from engine.face.detect import Box, FaceDetector, LandmarkPredictor, to_gray
from engine.face.smooth import OneEuroFilter

# The HOG detector's box relative to the canonical template (unit crop), measured on frontal faces:
# used until the first detection of a track calibrates it.
_DEFAULT_BOX_UNIT = np.array([0.17, 0.25, 0.82, 0.86], np.float32)
_SIG_SIZE = 24
# Picks, among the faces a detection found (the frame, and each face's landmarks, largest first), the one a new
# track follows; None: the largest. The identity check's pick (PerformerFaces.pick) makes a two-shot follow the
# performer whether or not theirs is the largest face.
Chooser = Callable[[np.ndarray, list[np.ndarray]], int | None]
MAX_CANDIDATES = 4  # faces offered to the chooser: the largest few in shot


@dataclass
class TrackedFace:
    landmarks: np.ndarray  # smoothed, 5x2, frame pixels
    raw_landmarks: np.ndarray
    box: Box
    detected: bool  # True when the detector ran on this frame and found the face
    # True when this face may not be the one followed before: the first face found, one found after the last was
    # lost, or a detection that does not look like the face it replaces (a cut on a detection frame).
    new_track: bool = False


def _eye_distance(lms: np.ndarray) -> float:
    return float(np.linalg.norm((lms[0] + lms[1]) / 2 - (lms[2] + lms[3]) / 2))


def _signature(gray: np.ndarray, lms: np.ndarray) -> np.ndarray:
    m = similarity_transform(lms, TEMPLATE_5 * _SIG_SIZE)
    sig = cv2.warpAffine(gray, m, (_SIG_SIZE, _SIG_SIZE), flags=cv2.INTER_AREA).astype(np.float32)
    sig -= sig.mean()
    return sig / (np.linalg.norm(sig) + 1e-6)


class FaceTracker:
    """Follows one face in a stream of frames: the largest, or the one ``choose`` picks when a track starts.

    ``update(frame)`` returns the face's smoothed landmarks, or None when there is no face.
    """

    def __init__(self, detector: FaceDetector | None = None, predictor: LandmarkPredictor | None = None, *,
                 detect_every: int = 5, fps: float = 24.0, smooth: bool = True, min_similarity: float = 0.6,
                 choose: Chooser | None = None) -> None:
        self.detector = detector or FaceDetector()
        self.predictor = predictor or LandmarkPredictor()
        self.detect_every = max(1, int(detect_every))
        self.fps = float(fps)
        self.smooth = smooth
        self.min_similarity = min_similarity
        self.choose = choose
        self.faces_in_shot = 0  # faces the last detection found
        self.filter = OneEuroFilter()
        self.detections_run = 0
        self.reset()

    def reset(self) -> None:
        self._last: np.ndarray | None = None
        self._box_unit = _DEFAULT_BOX_UNIT.copy()
        self._signature: np.ndarray | None = None
        self._since_detect = 0
        self._frame_index = 0
        self.filter.reset()

    def _box_from_landmarks(self, lms: np.ndarray) -> Box:
        inv = cv2.invertAffineTransform(similarity_transform(TEMPLATE_5, lms))  # frame -> unit
        fwd = cv2.invertAffineTransform(inv)  # unit -> frame
        x0, y0, x1, y1 = self._box_unit
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
        pts = corners @ fwd[:, :2].T + fwd[:, 2]
        return Box(*pts.min(0), *pts.max(0))

    def _calibrate(self, box: Box, lms: np.ndarray) -> None:
        m = similarity_transform(lms, TEMPLATE_5)  # frame -> unit template
        c = np.array([[box.left, box.top], [box.right, box.bottom]], np.float64) @ m[:, :2].T + m[:, 2]
        self._box_unit = np.array([*c.min(0), *c.max(0)], np.float32)

    def drop(self) -> None:
        """Stop following the current face: the next frame detects afresh and a new track starts (so, with
        ``choose``, the chooser picks again among the faces in shot)."""
        self._last = None
        self._signature = None
        self.filter.reset()

    def _detect(self, gray: np.ndarray, frame: np.ndarray) -> tuple[Box, np.ndarray] | None:
        self.detections_run += 1
        boxes = self.detector.detect(gray)
        self.faces_in_shot = len(boxes)
        if not boxes:
            return None
        box = boxes[0]
        if self._last is not None and len(boxes) > 1:
            # Keep following the same person when several faces are in shot.
            c = self._last.mean(0)
            box = min(boxes, key=lambda b: (b.left + b.right - 2 * c[0]) ** 2 + (b.top + b.bottom - 2 * c[1]) ** 2)
        elif self.choose is not None and len(boxes) > 1:
            candidates = boxes[:MAX_CANDIDATES]
            marks = [self.predictor.predict(gray, b) for b in candidates]
            pick = self.choose(frame, marks)
            if pick is not None:
                return candidates[pick], marks[pick]
        lms = self.predictor.predict(gray, box)
        return box, lms

    def update(self, frame: np.ndarray, t: float | None = None) -> TrackedFace | None:
        gray = to_gray(frame)
        t = self._frame_index / self.fps if t is None else t
        self._frame_index += 1
        result: tuple[Box, np.ndarray] | None = None
        detected = False
        new_track = self._last is None
        if self._last is not None and self._since_detect < self.detect_every - 1:
            box = self._box_from_landmarks(self._last)
            lms = self.predictor.predict(gray, box)
            ed, ed_prev = _eye_distance(lms), _eye_distance(self._last)
            plausible = 0.75 < ed / max(ed_prev, 1e-6) < 1.33
            if plausible and self._signature is not None:
                plausible = float((_signature(gray, lms) * self._signature).sum()) >= self.min_similarity
            if plausible:
                result = (box, lms)
                self._since_detect += 1
            else:
                new_track = True
        if result is None:
            result = self._detect(gray, frame)
            detected = result is not None
            self._since_detect = 0
            if result is None:
                self._last = None
                self._signature = None
                self.filter.reset()
                return None
            self._calibrate(*result)
            signature = _signature(gray, result[1])
            if self._signature is not None and float((signature * self._signature).sum()) < self.min_similarity:
                new_track = True
            self._signature = signature
        box, raw = result
        self._last = raw
        smoothed = self.filter(raw, t, scale=_eye_distance(raw)) if self.smooth else raw
        return TrackedFace(landmarks=smoothed, raw_landmarks=raw, box=box, detected=detected, new_track=new_track)
