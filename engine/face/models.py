"""Where the dlib model files live, found without importing ``face_recognition_models``.

That package's ``__init__`` imports ``pkg_resources``, which recent setuptools no longer ships, so we
locate its data folder through the import system instead. Only the HOG detector (built into dlib), the
5-point landmark model and the 128-D embedding network are used: the 68-point model's training data
forbids commercial use and must stay off the product path.
"""
from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from engine.errors import EngineError

ALLOWED_MODELS = ("shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat")


@cache
def model_path(name: str) -> Path:
    if name not in ALLOWED_MODELS:
        raise EngineError(f"face model {name!r} is not allowed on the product path")
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError("package face-recognition-models is not installed (pip install face-recognition-models)")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / name
    if not path.is_file():
        raise EngineError(f"face model file missing: {path}")
    return path
