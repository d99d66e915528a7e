"""Face pipeline: detect, landmark, track and smooth, align to a canonical crop, mask, composite back."""
from __future__ import annotations

from engine.face.align import TEMPLATE_5, AlignedFace, align_face, similarity_transform
from engine.face.composite import composite_face
from engine.face.detect import FaceDetector, LandmarkPredictor
from engine.face.mask import face_mask
from engine.face.smooth import OneEuroFilter
from engine.face.track import FaceTracker, TrackedFace

__all__ = [
    "TEMPLATE_5", "AlignedFace", "align_face", "similarity_transform", "composite_face", "FaceDetector",
    "LandmarkPredictor", "face_mask", "OneEuroFilter", "FaceTracker", "TrackedFace",
]
