"""Reference balance (engine/balance.py): what the reference frames show besides age, and the weights that even
it out.

The statistics are checked against what was done to a real photograph (tilted by a known angle, mirrored,
lit from one side); the report against reference sets built to be confounded, and to be mixed."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine import synthetic
from engine.api import crops_from_frames, train_model
from engine.balance import age_bin, balance_report, balance_weights, frame_stats, plan_balance
from engine.errors import TrainingDataError
from engine.face.align import align_face
from engine.face.detect import FaceDetector, LandmarkPredictor
from engine.model.config import preset
from engine.model.train import train_age_model
from tests.real_faces import photo


def stats_of(image: np.ndarray):
    boxes = FaceDetector().detect(image)
    assert boxes
    landmarks = LandmarkPredictor().predict(image, boxes[0])
    return frame_stats(align_face(image, landmarks, 80).crop, landmarks)


def test_the_statistics_follow_what_was_done_to_a_real_photograph() -> None:
    image = photo("biden")[:700]
    h, w = image.shape[:2]
    level = stats_of(image)
    tilted = cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), -12, 1.0), (w, h),
                            borderMode=cv2.BORDER_REPLICATE)
    assert stats_of(tilted).roll - level.roll == pytest.approx(12, abs=2)  # the eye line turns with the image
    mirrored = stats_of(np.ascontiguousarray(image[:, ::-1]))
    assert mirrored.yaw == pytest.approx(-level.yaw, abs=0.03)
    assert mirrored.side_light == pytest.approx(-level.side_light, abs=0.03)
    ramp = np.linspace(0.3, 1.5, w, dtype=np.float32)[None, :, None]  # a light from the right of the frame
    lit = stats_of(np.clip(image * ramp, 0, 255).astype(np.uint8))
    assert lit.side_light > level.side_light + 0.05


def _frames(performer, age: float, params, source: str):
    return [(performer.render(age, p, (320, 320)).image, age, f"{source}#{i}") for i, p in enumerate(params)]


@pytest.fixture(scope="module")
def looks():
    """Two shots' looks: a frontal smile lit from one side, and a downcast face lit from the other."""
    rng = np.random.default_rng(0)
    warm = [synthetic.FrameParams(smile=1.0, light_angle=0.0, light_strength=0.3, roll_deg=rng.normal(0, 1))
            for _ in range(16)]
    cold = [synthetic.FrameParams(smile=-1.0, light_angle=3.14, light_strength=0.3, roll_deg=rng.normal(0, 1))
            for _ in range(16)]
    return warm, cold


def test_ages_that_each_come_from_one_shot_are_reported_with_what_differs(looks) -> None:
    warm, cold = looks
    performer = synthetic.SyntheticPerformer(3)
    crops = crops_from_frames(_frames(performer, 27, warm, "film_1994.mov") + _frames(performer, 45, cold, "interview.mp4"), 48)
    weights = balance_weights(crops.stats, crops.ages.tolist())
    report = balance_report(crops.stats, crops.ages.tolist(), [m["source"] for m in crops.manifest], weights)
    assert [b["ages"] for b in report.bins] == ["25-30", "45-50"]
    assert report.warnings[0].startswith("age is confounded with source: each age comes from one source only "
                                         "(25-30: film_1994.mov; 45-50: interview.mp4)")
    named = " ".join(report.warnings[1:])
    assert "side light differs between ages" in named and "mouth differs between ages" in named
    assert not report.balanced


def test_balancing_evens_out_a_mix_and_no_age_counts_for_more_than_the_median(looks) -> None:
    """At 27 most frames smile in a warm light, at 45 most are downcast in a cold one, but each age has some of
    both: the weights bring the two ages' mixes together, and no age has a share above the median age's count."""
    warm, cold = looks
    performer = synthetic.SyntheticPerformer(3)
    frames = (_frames(performer, 27, warm[:12] + cold[:3], "film_1994.mov")
              + _frames(performer, 45, warm[12:] + cold[3:], "film_2012.mov")
              + _frames(performer, 46, warm[:4], "interview.mp4"))
    crops = crops_from_frames(frames, 48)
    weights = balance_weights(crops.stats, crops.ages.tolist())
    report = balance_report(crops.stats, crops.ages.tolist(), [m["source"] for m in crops.manifest], weights)
    bins = np.array([age_bin(a) for a in crops.ages])
    assert weights.sum() == pytest.approx(1.0)
    young, old = int((bins == 25).sum()), int((bins == 45).sum())  # 15 and 19 frames (their median: 17)
    assert weights[bins == 25].sum() == pytest.approx(young / (young + (young + old) / 2))
    for name in ("side_light", "mouth"):
        assert report.differences_after[name] < 0.6 * report.differences_before[name], (name, report.summary())
    assert not any("confounded with source" in w for w in report.warnings)  # two sources at 45


def test_frames_that_already_look_alike_across_ages_are_sampled_as_they_are(looks) -> None:
    """Weights estimated from a few frames per age only add noise where nothing needs evening out."""
    frames = synthetic.reference_set(3, 60)
    crops = crops_from_frames([(r.image, r.age, f"clip.mov#{i}") for i, r in enumerate(frames)], 48)
    weights, report = plan_balance(crops.stats, crops.ages.tolist(), [m["source"] for m in crops.manifest])
    assert weights is None and not report.weighted and report.balanced
    warm, cold = looks
    performer = synthetic.SyntheticPerformer(3)
    crops = crops_from_frames(_frames(performer, 27, warm, "a.mov") + _frames(performer, 45, cold, "b.mov"), 48)
    weights, report = plan_balance(crops.stats, crops.ages.tolist(), [m["source"] for m in crops.manifest])
    assert weights is not None and report.weighted and not report.balanced


def test_training_records_the_balance_with_the_model(looks, tmp_path) -> None:
    warm, cold = looks
    performer = synthetic.SyntheticPerformer(3)
    crops = crops_from_frames(_frames(performer, 27, warm, "a.mov") + _frames(performer, 45, cold, "b.mov"), 48)
    from engine.model.checkpoint import read_meta

    cfg = preset("tiny")
    quick = type(cfg)(**{**cfg.__dict__, "critic_steps": 2})
    out = train_model(crops, performer_id="p", out_path=tmp_path / "m.safetensors", config=quick, steps=2)
    assert out.balance is not None and out.balance.warnings
    assert read_meta(out.checkpoint).extra["reference_warnings"] == out.balance.warnings


def test_sampling_weights_that_cannot_be_drawn_from_are_refused() -> None:
    crops = np.zeros((8, 48, 48, 3), np.uint8)
    ages = np.array([20, 20, 20, 20, 60, 60, 60, 60], np.float32)
    for bad in (np.zeros(8), np.ones(7), np.array([1, 1, 1, 1, 1, 1, 1, np.nan]), -np.ones(8)):
        with pytest.raises(TrainingDataError, match="sample weights must be 8 finite"):
            train_age_model(crops, ages, preset("tiny"), steps=1, sample_weights=bad)
