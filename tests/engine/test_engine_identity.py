"""The identity check on real photographs (tests/data/faces, and scikit-image's astronaut): a plate made from
another photograph of the performer reads as the performer, and plates of two other people do not.

The plates are H.264 clips written and decoded as a job's plate is (a slow push-in on the photograph), so the
faces compared are what a worker would see, compression included."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.api import age_video
from engine.errors import EngineError, IdentityMismatch
from engine.face import identity
from engine.face.detect import FaceDetector, LandmarkPredictor
from engine.media import read_all
from tests.real_faces import PERFORMER, PERFORMER_ELSEWHERE, photo, push_in, push_in_plate, write_plate


def plate_faces(path: Path) -> list[np.ndarray]:
    """The embedding of the largest face in each decoded frame, through the engine's detector and landmarks."""
    detector, landmarks = FaceDetector(), LandmarkPredictor()
    out = []
    for frame in read_all(path):
        boxes = detector.detect(frame)
        assert boxes, "no face found in a plate frame"
        out.append(identity.embed_landmarks(frame, landmarks.predict(frame, boxes[0])))
    return out


@pytest.fixture(scope="module")
def references() -> list[np.ndarray]:
    """The performer's reference material: a photograph of them."""
    return [identity.embed_faces(photo(name))[0] for name in PERFORMER]


def test_a_plate_of_the_performer_from_another_photograph_reads_as_the_performer(references, tmp_path) -> None:
    faces = plate_faces(push_in_plate("obama3", tmp_path / "own.mp4"))
    matches = [identity.match(references, f) for f in faces]
    assert all(m.same_person for m in matches), [m.describe() for m in matches]


@pytest.mark.parametrize("other", ["biden", "astronaut"])
def test_a_plate_of_another_person_does_not(references, tmp_path, other: str) -> None:
    faces = plate_faces(push_in_plate(other, tmp_path / f"{other}.mp4"))
    matches = [identity.match(references, f) for f in faces]
    assert not any(m.same_person for m in matches), [m.describe() for m in matches]
    assert "not the performer" in matches[0].describe()


def test_the_distances_on_these_photographs_sit_either_side_of_the_threshold_with_room() -> None:
    """dlib's documented 0.6, measured here: one person's two photographs 0.34 apart, other people beyond 0.8
    (bench/identity.py prints the same)."""
    own = [identity.embed_faces(photo(n))[0] for n in (*PERFORMER, PERFORMER_ELSEWHERE)]
    others = [identity.embed_faces(photo(n))[0] for n in ("biden", "astronaut")]
    same = [float(np.linalg.norm(a - b)) for i, a in enumerate(own) for b in own[i + 1:]]
    different = [float(np.linalg.norm(a - b)) for a in own for b in others]
    assert max(same) < identity.SAME_PERSON_DISTANCE - 0.1 < identity.SAME_PERSON_DISTANCE + 0.1 < min(different), \
        (same, different)


def test_what_cannot_be_compared_is_refused_by_name() -> None:
    with pytest.raises(EngineError, match="no reference face"):
        identity.match([], np.zeros(128))
    with pytest.raises(EngineError, match="8-bit RGB"):
        identity.embed_faces(photo("obama").astype(np.float32) / 255.0)


def test_an_aging_job_on_another_persons_plate_stops_before_rendering(references, untrained_checkpoint,
                                                                       tmp_path) -> None:
    plate = push_in_plate("biden", tmp_path / "plate.mp4")
    out = tmp_path / "out.mp4"
    with pytest.raises(IdentityMismatch, match="not the performer whose consent this job runs under"):
        age_video(plate, out, untrained_checkpoint, 60.0, performer_id="performer",
                  performer_faces=identity.PerformerFaces(references))
    assert not out.exists()


# The tracker detects on every fifth frame (0, 5, 10) and follows the face in between: a cut on frame 5 meets
# a detection, a cut on frame 6 meets the follow.
@pytest.mark.parametrize("cut", [5, 6])
def test_in_a_plate_that_cuts_to_someone_else_only_the_performer_is_aged(references, untrained_checkpoint,
                                                                          tmp_path, cut: int) -> None:
    own, other = push_in(photo("obama3"), cut), push_in(photo("biden"), 12 - cut)
    plate = write_plate(own + other, tmp_path / "plate")
    out = tmp_path / "out"
    result = age_video(plate, out, untrained_checkpoint, 60.0, performer_id="performer", detect_every=5,
                       performer_faces=identity.PerformerFaces(references))
    aged = read_all(out)
    assert result.frames_total == 12 and result.frames_not_performer == 12 - cut, result
    assert result.identity_distance is not None and result.identity_distance < identity.SAME_PERSON_DISTANCE
    for before, after in zip(own, aged[:cut], strict=True):
        assert np.abs(after.astype(int) - before.astype(int)).mean() > 0.5  # the performer's face was changed
    for before, after in zip(other, aged[cut:], strict=True):
        assert np.array_equal(after, before)  # someone else's frames are the plate's, bit for bit


def _two_shot(frames: int = 8) -> tuple[list[np.ndarray], tuple[slice, slice], tuple[slice, slice]]:
    """Another person large on the left, the performer smaller on the right; the two halves' regions."""
    other, own = push_in(photo("biden"), frames, size=360), push_in(photo(PERFORMER_ELSEWHERE), frames, size=240)
    left, right = (slice(20, 380), slice(20, 380)), (slice(80, 320), slice(400, 640))
    shots = []
    for a, b in zip(other, own, strict=True):
        canvas = np.full((400, 660, 3), 90, np.uint8)
        canvas[left] = a
        canvas[right] = b
        shots.append(canvas)
    return shots, left, right


def test_in_a_two_shot_the_performer_is_aged_though_theirs_is_not_the_largest_face(references, untrained_checkpoint,
                                                                                    tmp_path) -> None:
    shots, left, right = _two_shot()
    plate = write_plate(shots, tmp_path / "plate")
    out = tmp_path / "out"
    result = age_video(plate, out, untrained_checkpoint, 60.0, performer_id="performer", detect_every=5,
                       performer_faces=identity.PerformerFaces(references))
    assert result.frames_with_face == 8 and result.frames_not_performer == 0, result
    for before, after in zip(shots, read_all(out), strict=True):
        assert np.array_equal(after[left], before[left])  # the other person, as filmed
        assert np.abs(after[right].astype(int) - before[right]).mean() > 0.3  # the performer, aged


def test_when_the_performer_walks_into_someone_elses_shot_they_are_picked_up(references, untrained_checkpoint,
                                                                             tmp_path) -> None:
    """The tracker follows the only face in shot (someone else); once the performer is in shot too, the next
    detection (every fifth frame) finds the followed face is not theirs and looks among the faces again."""
    shots, left, right = _two_shot(10)
    for shot in shots[:3]:
        shot[right] = 90  # the performer is not in shot yet
    plate = write_plate(shots, tmp_path / "plate")
    out = tmp_path / "out"
    age_video(plate, out, untrained_checkpoint, 60.0, performer_id="performer", detect_every=5,
              performer_faces=identity.PerformerFaces(references))
    aged = read_all(out)
    for before, after in zip(shots, aged, strict=True):
        assert np.array_equal(after[left], before[left])
    assert all(np.abs(after[right].astype(int) - before[right]).mean() > 0.3
               for before, after in zip(shots[6:], aged[6:], strict=True))
