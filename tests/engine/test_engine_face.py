from __future__ import annotations

import math

import numpy as np
import skimage.data

from engine import synthetic
from engine.face import FaceDetector, FaceTracker, LandmarkPredictor, OneEuroFilter, align_face, composite_face, face_mask
from engine.face.align import TEMPLATE_5, similarity_transform


def test_astronaut_is_detected_and_aligned() -> None:
    img = skimage.data.astronaut()
    boxes = FaceDetector().detect(img)
    assert len(boxes) == 1
    lms = LandmarkPredictor().predict(img, boxes[0])
    a = align_face(img, lms, 96)
    # Aligned landmarks land on the template.
    mapped = lms @ a.matrix[:, :2].T + a.matrix[:, 2]
    assert np.abs(mapped - TEMPLATE_5 * 96).max() < 4.0


def test_synthetic_faces_are_detected_across_identities_ages_and_poses() -> None:
    rng = np.random.default_rng(3)
    det, lmk = FaceDetector(), LandmarkPredictor()
    errors = []
    for i in range(12):
        r = synthetic.SyntheticPerformer(i).render(float(rng.uniform(18, 85)), synthetic.random_params(rng), (256, 256))
        boxes = det.detect(r.image)
        assert len(boxes) == 1, f"identity {i}: {len(boxes)} faces"
        errors.append(np.abs(lmk.predict(r.image, boxes[0]) - r.landmarks).mean())
    assert float(np.mean(errors)) < 3.0  # generator's landmarks agree with dlib's


def test_similarity_transform_recovers_a_known_transform() -> None:
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (5, 2))
    ang, s, t = 0.3, 1.7, np.array([12.0, -4.0])
    rot = s * np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]])
    m = similarity_transform(src, src @ rot.T + t)
    assert np.allclose(m[:, :2], rot, atol=1e-6) and np.allclose(m[:, 2], t, atol=1e-6)


def test_one_euro_filter_reduces_jitter_but_follows_motion() -> None:
    rng = np.random.default_rng(0)
    f = OneEuroFilter()
    t = np.arange(96) / 24
    truth = 50 + 20 * np.sin(2 * np.pi * 0.3 * t)
    noisy = truth + rng.normal(0, 1.0, len(t))
    out = np.array([f(np.array([x]), ti, scale=60.0)[0] for x, ti in zip(noisy, t)])
    assert np.abs(np.diff(out, 2)).mean() < 0.5 * np.abs(np.diff(noisy, 2)).mean()
    assert np.abs(out - truth)[24:].mean() < 1.5


def test_mask_is_zero_outside_and_one_inside() -> None:
    m = face_mask(64)
    assert m[0].max() == 0 and m[:, 0].max() == 0 and m[-1].max() == 0
    assert m[38, 32] == 1.0


def test_composite_leaves_pixels_outside_the_mask_bit_identical() -> None:
    r = synthetic.SyntheticPerformer(2).render(50, synthetic.FrameParams(roll_deg=7), (256, 256))
    a = align_face(r.image, r.landmarks, 64)
    garbage = np.random.default_rng(1).integers(0, 255, a.crop.shape, dtype=np.uint8)
    comp = composite_face(r.image, garbage, a.matrix, source_crop=a.crop)
    alpha = comp.full_alpha()
    assert (alpha > 0).sum() > 1000
    assert np.array_equal(comp.frame[alpha == 0], r.image[alpha == 0])
    assert not np.array_equal(comp.frame[alpha > 0.5], r.image[alpha > 0.5])


def test_tracker_detects_less_often_than_every_frame_and_stays_on_the_face() -> None:
    perf = synthetic.SyntheticPerformer(4)
    clip = synthetic.render_clip(perf, 45, synthetic.clip_params(2, 20), (256, 256))
    tr = FaceTracker(detect_every=5)
    errs = []
    for r in clip:
        face = tr.update(r.image)
        assert face is not None
        errs.append(np.abs(face.landmarks - r.landmarks).mean())
    assert tr.detections_run <= 5
    assert float(np.mean(errs)) < 3.0


def test_tracker_notices_when_the_face_leaves() -> None:
    perf = synthetic.SyntheticPerformer(4)
    face = perf.render(45, synthetic.FrameParams(), (256, 256)).image
    empty = synthetic.empty_frame((256, 256), seed=4)
    tr = FaceTracker(detect_every=10)
    got = [tr.update(f) is not None for f in (face, face, empty, empty, face)]
    assert got == [True, True, False, False, True]
