"""The review player's frames, decoded and compared off the request path (likeness.jobs.review_media), on real
video files written by the engine's writer."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from django.core.files import File

from engine.media import read_all
from likeness.jobs.review_media import (
    DIFFERENCE_GAIN,
    FrameUnavailable,
    decode_frame,
    difference_image,
    review_frame_jpeg,
)


def _jpeg(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def test_seeking_decodes_the_same_frame_as_reading_from_the_start(footage):
    frames = read_all(footage.long_plate)
    for n in (0, 1, 47, 60, 119):
        with open(footage.long_plate, "rb") as handle:
            image = decode_frame(handle, n)
        assert (image[:, :, ::-1] == frames[n]).all(), n
    with open(footage.long_plate, "rb") as handle:
        assert decode_frame(handle, 120) is None


def test_the_plate_and_the_output_frames_are_the_frames_asked_for(footage):
    frames = read_all(footage.long_plate)
    plate, output = File(open(footage.long_plate, "rb")), File(open(footage.plate, "rb"))
    image = _jpeg(review_frame_jpeg(source="plate", plate=plate, output=output, plate_index=47, output_index=3,
                                    label="test"))
    assert abs(image.astype(int) - frames[47][:, :, ::-1].astype(int)).mean() < 6  # JPEG noise only
    aged = _jpeg(review_frame_jpeg(source="output", plate=plate, output=output, plate_index=47, output_index=3,
                                   label="test"))
    assert abs(aged.astype(int) - read_all(footage.plate)[3][:, :, ::-1].astype(int)).mean() < 6


def test_a_frame_against_itself_differs_nowhere(footage):
    same = File(open(footage.plate, "rb"))
    image = _jpeg(review_frame_jpeg(source="difference", plate=same, output=same, plate_index=4, output_index=4,
                                    label="test"))
    assert image.mean() < 3


def test_the_difference_scales_the_plate_to_the_output_and_brightens_the_change():
    output = np.full((10, 12, 3), 100, np.uint8)
    plate = np.full((20, 24, 3), 98, np.uint8)
    image = difference_image(output, plate)
    assert image.shape == output.shape and (image == 2 * DIFFERENCE_GAIN).all()


@pytest.mark.parametrize(("source", "which", "index", "words"), [
    ("plate", "plate", 99, "the plate has no frame 99"),
    ("output", "output", 12, "the output has no frame 12"),
    ("plate", "junk", 0, "the frame could not be read"),
    ("difference", "junk", 0, "the frame could not be read"),
    ("weights", "plate", 0, "frames come from the plate, the output or their difference"),
])
def test_a_missing_or_unreadable_frame_is_refused_in_words(footage, source, which, index, words):
    path = footage.not_a_video if which == "junk" else footage.plate
    stored = File(open(path, "rb"))
    with pytest.raises(FrameUnavailable, match=words):
        review_frame_jpeg(source=source, plate=stored, output=stored, plate_index=index, output_index=index,
                          label="test")
