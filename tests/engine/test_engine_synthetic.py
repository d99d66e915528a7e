from __future__ import annotations

import numpy as np

from engine import synthetic
from engine.face.align import align_face
from engine.face.mask import face_mask


def test_rendering_is_deterministic_per_seed() -> None:
    p = synthetic.FrameParams(roll_deg=3, smile=0.5)
    a = synthetic.SyntheticPerformer(7).render(50, p, (200, 200)).image
    b = synthetic.SyntheticPerformer(7).render(50, p, (200, 200)).image
    assert np.array_equal(a, b)


def test_identities_differ() -> None:
    p = synthetic.FrameParams()
    a = synthetic.SyntheticPerformer(1).render(40, p, (200, 200))
    b = synthetic.SyntheticPerformer(2).render(40, p, (200, 200))
    assert np.abs(a.image.astype(int) - b.image.astype(int)).mean() > 10


def test_age_changes_the_face_more_with_more_years_and_keeps_the_background() -> None:
    perf = synthetic.SyntheticPerformer(3)
    p = synthetic.FrameParams(yaw=0.3)
    frames = {age: perf.render(age, p, (256, 256)) for age in (20, 40, 60, 80)}
    base = frames[20]
    a = align_face(base.image, base.landmarks, 96)
    inner = face_mask(96) > 0.5
    diffs = []
    for age in (40, 60, 80):
        crop = align_face(frames[age].image, base.landmarks, 96).crop
        diffs.append(np.abs(crop.astype(int) - a.crop.astype(int))[inner].mean())
    assert diffs[0] < diffs[1] < diffs[2]
    # Corners of the frame are background: identical at every age.
    for age in (40, 60, 80):
        assert np.array_equal(frames[age].image[:20, :20], base.image[:20, :20])


def test_clip_motion_is_smooth() -> None:
    params = synthetic.clip_params(3, 48)
    rolls = np.array([p.roll_deg for p in params])
    assert np.abs(np.diff(rolls)).max() < 1.0
    assert rolls.std() > 0.2
