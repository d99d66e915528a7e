"""Is the face in a plate the performer's? dlib's 128-D face embeddings compared by Euclidean distance.

dlib's ResNet (``dlib_face_recognition_resnet_model_v1``) was trained so that two photographs of one person
land closer than 0.6 apart and two people farther. That is the distance its author documents (99.38 % on
LFW). The platform uses it, after measuring it on real photographs and on the synthetic performers:
``python bench/identity.py`` prints the same-person and different-person distances and the margin on each side.
A face is the performer's when its distance to the nearest of the performer's reference faces is under the
threshold. The embedding is computed on the frame as filmed (8-bit RGB), from the face's box and dlib's 5-point
landmarks, as dlib's own pipeline does.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import dlib
import numpy as np

from engine.errors import EngineError, IdentityMismatch
from engine.face.detect import Box, FaceDetector
from engine.face.models import model_path
from engine.face.track import MAX_CANDIDATES
from engine.media import FrameRange

SAME_PERSON_DISTANCE = 0.6


@lru_cache(maxsize=1)
def _network() -> dlib.face_recognition_model_v1:
    return dlib.face_recognition_model_v1(str(model_path("dlib_face_recognition_resnet_model_v1.dat")))


@lru_cache(maxsize=1)
def _shapes() -> dlib.shape_predictor:
    return dlib.shape_predictor(str(model_path("shape_predictor_5_face_landmarks.dat")))


def _rgb8(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise EngineError(f"a face embedding needs an 8-bit RGB image, not {image.dtype} of shape {image.shape}")
    return np.ascontiguousarray(image)


def embed_box(image: np.ndarray, box: Box) -> np.ndarray:
    """The 128-D embedding of the face in ``box``."""
    rgb = _rgb8(image)
    shape = _shapes()(rgb, box.to_dlib())
    return np.asarray(_network().compute_face_descriptor(rgb, shape), np.float64)


def embed_landmarks(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The 128-D embedding of a face known by its 5-point landmarks (a tracked face). dlib aligns the face chip
    from the points themselves, so they are handed to it as they are, not predicted again from a guessed box
    (which moved the distance of one photograph's frames between 0.35 and 0.61)."""
    rgb = _rgb8(image)
    points = [dlib.point(int(round(float(x))), int(round(float(y)))) for x, y in landmarks]
    xs, ys = landmarks[:, 0], landmarks[:, 1]
    box = dlib.rectangle(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    shape = dlib.full_object_detection(box, points)
    return np.asarray(_network().compute_face_descriptor(rgb, shape), np.float64)


def embed_faces(image: np.ndarray, detector: FaceDetector | None = None) -> list[np.ndarray]:
    """The embedding of every face dlib's detector finds in ``image``, largest first."""
    boxes = (detector or FaceDetector(max_side=1280, upsample=1)).detect(_rgb8(image))
    return [embed_box(image, b) for b in boxes]


def nearest_distances(references: Sequence[np.ndarray], faces: Iterable[np.ndarray]) -> np.ndarray:
    """For each face, its Euclidean distance to the nearest reference embedding."""
    if not references:
        raise EngineError("no reference face to compare with")
    refs = np.stack(references)
    return np.array([float(np.min(np.linalg.norm(refs - f, axis=1))) for f in faces], np.float64)


@dataclass(frozen=True)
class IdentityMatch:
    """How one face compares with a performer's reference faces."""

    distance: float  # to the nearest reference face
    threshold: float

    @property
    def same_person(self) -> bool:
        return self.distance < self.threshold

    def describe(self) -> str:
        verdict = "the performer" if self.same_person else "not the performer"
        return (f"{verdict}: distance {self.distance:.3f} to the nearest reference face "
                f"({'under' if self.same_person else 'at or over'} the {self.threshold:.2f} threshold)")


def match(references: Sequence[np.ndarray], face: np.ndarray, *,
          threshold: float = SAME_PERSON_DISTANCE) -> IdentityMatch:
    return IdentityMatch(float(nearest_distances(references, [face])[0]), threshold)


class PerformerFaces:
    """The performer's reference faces, and the verdict on each face the engine tracks in a plate.

    A face is judged when the tracker starts following it (the first face, one found after a face was lost, a
    detection unlike the face before: a cut), and again every ``rejudge_every`` detections, and the verdict
    holds for the frames in between: a cut to another person is judged on its first frame, and the embedding
    (tens of milliseconds on a CPU) is not computed on every frame."""

    def __init__(self, references: Sequence[np.ndarray], *, threshold: float = SAME_PERSON_DISTANCE,
                 rejudge_every: int = 24) -> None:
        if not references:
            raise EngineError("no reference face of the performer to compare the plate with")
        self.references = list(references)
        self.threshold = threshold
        self.rejudge_every = max(1, rejudge_every)
        self._verdict: IdentityMatch | None = None
        self._detections = 0
        self.judged: list[IdentityMatch] = []

    def match(self, face: np.ndarray) -> IdentityMatch:
        return match(self.references, face, threshold=self.threshold)

    def is_performer(self, frame: np.ndarray, landmarks: np.ndarray, *, new_track: bool, detected: bool) -> bool:
        self._detections += int(detected)
        if new_track or self._verdict is None or (detected and self._detections % self.rejudge_every == 0):
            self._verdict = self.match(embed_landmarks(frame, landmarks))
            self.judged.append(self._verdict)
        return self._verdict.same_person

    def pick(self, frame: np.ndarray, candidates: list[np.ndarray]) -> int | None:
        """Of several faces in shot (their landmarks), the performer's: the nearest to the reference faces under
        the threshold, or None when none of them is (engine.face.track.Chooser)."""
        matches = [self.match(embed_landmarks(frame, marks)) for marks in candidates]
        best = min(range(len(matches)), key=lambda i: matches[i].distance, default=None)
        return best if best is not None and matches[best].same_person else None

    def forget(self) -> None:
        """The tracker lost the face: the next one found is judged afresh."""
        self._verdict = None

    def require_in(self, frames: Iterable[np.ndarray], what: str = "the plate") -> IdentityMatch:
        """The best match among the faces in ``frames`` (the largest few of each: in a two-shot the performer may
        not be the largest); IdentityMismatch when none is the performer."""
        detector = FaceDetector()
        found = []
        for frame in frames:
            boxes = detector.detect(_rgb8(frame))
            if boxes:
                found.append(min((self.match(embed_box(frame, box)) for box in boxes[:MAX_CANDIDATES]),
                                 key=lambda m: m.distance))
        if not found:
            raise IdentityMismatch(f"no face found in the frames of {what} that were checked, so it cannot be "
                                   "shown to be the performer")
        best = min(found, key=lambda m: m.distance)
        if not best.same_person:
            raise IdentityMismatch(f"the face in {what} is not the performer whose consent this job runs under: "
                                   f"its nearest distance to their reference faces is {best.distance:.3f}, at or "
                                   f"over the {best.threshold:.2f} threshold, in all {len(found)} frames checked")
        return best


def sample_frames(video: str, frame_range: FrameRange | None = None, *, count: int = 8) -> list[np.ndarray]:
    """``count`` frames spread evenly through ``frame_range`` of a video or image sequence (one decoding pass)."""
    from engine.media import iter_frames, probe

    lo, hi = (frame_range or FrameRange()).clamp(probe(video).frame_count)
    wanted = {int(round(i)) for i in np.linspace(0, max(hi - lo - 1, 0), num=max(1, min(count, hi - lo)))}
    return [frame for index, frame in enumerate(iter_frames(video, frame_range)) if index in wanted]


def reference_faces(videos: Iterable[str], *, per_video: int = 4) -> list[np.ndarray]:
    """The largest face of ``per_video`` frames spread through each reference video (or image sequence)."""
    detector = FaceDetector()
    faces: list[np.ndarray] = []
    for video in videos:
        for frame in sample_frames(video, count=per_video):
            boxes = detector.detect(_rgb8(frame))
            if boxes:
                faces.append(embed_box(frame, boxes[0]))
    return faces
