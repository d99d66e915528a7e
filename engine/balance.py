"""Reference balance: what the reference frames show besides age, age by age, and training weights that even
it out.

A model learns whatever tells its ages apart. When the frames at 27 are one film's frontal, warmly lit,
talking shots and the frames at 45 another's turned, side-lit, quiet ones, pose, light and expression tell
the ages apart as well as age does, and the model learns the shots: trained on two real shots of one
person, an earlier engine's "40" painted the open, talking mouth of its 40-year-old reference.

Per frame, from its 5 landmarks and its aligned crop:

* ``yaw``: the nose base's sideways offset from the eyes' midpoint, in eye-to-eye distances;
* ``pitch``: the nose base's drop below the eye line, in eye-to-eye distances;
* ``roll``: the eye line's angle, in degrees;
* ``exposure``: mean luma of the face in the crop;
* ``side_light``: luma of the face's right half minus its left, over the mean;
* ``mouth``: luma contrast (standard deviation) of the mouth region: an open or talking mouth shows teeth
  and shadow. With 5 landmarks this is a proxy for expression, not a measurement of it.

The ages are put in bins of ``BIN_YEARS``. Where the bins' frames differ (``plan_balance``), training samples
frames with weights (``balance_weights``) under which no bin counts for more than the median bin's number of
frames (a film of thousands of frames does not drown an interview of a hundred, and a bin of a few frames is
not repeated until the model learns them by heart), and within a bin a frame whose pose, light and mouth are
rare in the other bins counts less (a coarse joint histogram of the statistics, matched bin by bin to their pooled
mix; a sparse bin's shares are smoothed toward even, ``PSEUDO_FRAMES``). What weighting cannot fix is reported: a statistic still far apart between bins (a standardised
difference over ``WARN_DIFFERENCE``), and ages that each come from a single source.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

BIN_YEARS = 5.0
STATISTICS = ("yaw", "pitch", "roll", "exposure", "side_light", "mouth")
# The statistics the weights match bin to bin (a median split of each: 2**4 cells, enough for a few dozen
# frames per bin). Pitch and roll vary less between shots and are reported only.
MATCHED = ("yaw", "exposure", "side_light", "mouth")
# A standardised mean difference (Cohen's d) of 0.8 is "large": the two bins' frames differ in that
# statistic about as much as their spread within a bin.
WARN_DIFFERENCE = 0.8
# Bins with fewer frames than this are too small to say how their frames differ from another bin's.
MIN_BIN_FRAMES = 5
# ...and only when the difference is one a viewer would see: about 5 degrees of head turn or tilt, 6 % of
# exposure, a tenth of the face's light moved to one side, a mouth opening. Frames from one steady shot have
# so little spread that any difference is "large" by Cohen's measure alone, age's own effect on the face
# included; these floors keep the warnings to what a shot's look could teach the model.
MATERIAL = {"yaw": 0.08, "pitch": 0.08, "roll": 5.0, "exposure": 15.0, "side_light": 0.1, "mouth": 6.0}
UNITS = {"yaw": "eye-to-eye distances", "pitch": "eye-to-eye distances", "roll": "degrees",
         "exposure": "luma levels", "side_light": "of the mean luma", "mouth": "luma levels of contrast"}
WEIGHT_CLIP = (0.2, 5.0)
# Frames added to every cell of every bin before the shares are taken: a bin of a few frames (a continuous
# spread of ages, a short clip) keeps nearly even weights instead of ones set by chance, while a film's
# hundreds of frames are matched closely.
PSEUDO_FRAMES = 2.0


@dataclass(frozen=True)
class FrameStats:
    yaw: float
    pitch: float
    roll: float
    exposure: float
    side_light: float
    mouth: float

    def values(self) -> list[float]:
        return [getattr(self, s) for s in STATISTICS]


def frame_stats(crop: np.ndarray, landmarks: np.ndarray) -> FrameStats:
    """The statistics of one aligned crop (S x S x 3 uint8 RGB) and its 5 landmarks in the frame (dlib order)."""
    lm = np.asarray(landmarks, np.float64)
    eye_a, eye_b = lm[0:2].mean(0), lm[2:4].mean(0)  # dlib: one eye's two corners, then the other's
    left, right = (eye_a, eye_b) if eye_a[0] < eye_b[0] else (eye_b, eye_a)
    across = right - left
    distance = float(np.hypot(*across)) or 1.0
    unit = across / distance
    normal = np.array([-unit[1], unit[0]])
    offset = lm[4] - (left + right) / 2
    size = crop.shape[0]
    luma = crop.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    # The face in canonical crop coordinates (engine.face.align.TEMPLATE_5): cheeks to chin, clear of hair.
    face = luma[int(0.35 * size):int(0.85 * size), int(0.25 * size):int(0.75 * size)]
    mean = float(face.mean()) or 1.0
    half = face.shape[1] // 2
    mouth = luma[int(0.70 * size):int(0.84 * size), int(0.36 * size):int(0.64 * size)]
    return FrameStats(yaw=float(offset @ unit / distance), pitch=float(offset @ normal / distance),
                      roll=math.degrees(math.atan2(across[1], across[0])), exposure=mean,
                      side_light=float((face[:, half:].mean() - face[:, :half].mean()) / mean),
                      mouth=float(mouth.std()))


def age_bin(age: float) -> float:
    """The bin's lower edge: 27 -> 25, 45 -> 45."""
    return BIN_YEARS * math.floor(age / BIN_YEARS)


@dataclass
class BalanceReport:
    """What the reference frames show besides age, per age bin, and what balancing could not fix."""

    bins: list[dict[str, object]]  # per bin: ages, frames, sources, and each statistic's mean and sd
    differences_before: dict[str, float]  # per statistic: the largest standardised difference between two bins
    differences_after: dict[str, float]  # the same under the training weights
    warnings: list[str] = field(default_factory=list)
    weighted: bool = True  # False: nothing needed evening out, and training sampled every frame alike

    @property
    def balanced(self) -> bool:
        return not self.warnings

    def summary(self) -> dict[str, object]:
        return {"bins": self.bins, "differences_before": self.differences_before,
                "differences_after": self.differences_after, "warnings": self.warnings, "weighted": self.weighted}


def _weighted_moments(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    total = float(w.sum()) or 1.0
    mean = float((x * w).sum() / total)
    return mean, float(np.sqrt(max(0.0, float((w * (x - mean) ** 2).sum() / total))))


@dataclass(frozen=True)
class Difference:
    """Two age bins' means of one statistic under the training weights, and Cohen's d between them."""

    low: float  # the two bins' lower edges
    high: float
    gap: float  # mean at ``high`` minus mean at ``low``
    d: float  # |gap| over the pooled standard deviation (inf when neither bin varies)


def _differences(values: np.ndarray, bins: np.ndarray, weights: np.ndarray) -> list[Difference]:
    labels = [b for b in sorted(set(bins.tolist())) if int((bins == b).sum()) >= MIN_BIN_FRAMES]
    moments = [_weighted_moments(values[bins == b], weights[bins == b]) for b in labels]
    out = []
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            (ma, sa), (mb, sb) = moments[i], moments[j]
            pooled = math.sqrt((sa * sa + sb * sb) / 2)
            gap = mb - ma
            d = abs(gap) / pooled if pooled > 1e-9 else (0.0 if abs(gap) < 1e-9 else float("inf"))
            out.append(Difference(labels[i], labels[j], gap, d))
    return out


def _largest(differences: list[Difference]) -> float:
    return round(max((x.d for x in differences), default=0.0), 3)


def balance_weights(stats: Sequence[FrameStats], ages: Sequence[float]) -> np.ndarray:
    """Sampling weights (sum 1): each age bin's share is its frame count capped at the median bin's, and each
    bin's mix of pose, light and mouth (``MATCHED``, split at their pooled medians) is moved toward the mix
    over all bins."""
    n = len(stats)
    bins = np.array([age_bin(a) for a in ages])
    table = np.array([[getattr(s, name) for name in MATCHED] for s in stats], np.float64)
    medians = np.median(table, axis=0)
    cells = ((table > medians) * (2 ** np.arange(len(MATCHED)))).sum(1)
    labels = sorted(set(bins.tolist()))
    # The pooled mix gives each bin the same say, however many frames it has.
    n_cells = 2 ** len(MATCHED)
    share = {b: (np.bincount(cells[bins == b], minlength=n_cells) + PSEUDO_FRAMES)
             / (int((bins == b).sum()) + PSEUDO_FRAMES * n_cells) for b in labels}
    pooled = np.mean([share[b] for b in labels], axis=0)
    weights = np.empty(n, np.float64)
    for i in range(n):
        weights[i] = np.clip(pooled[cells[i]] / share[bins[i]][cells[i]], *WEIGHT_CLIP)
    counts = {b: int((bins == b).sum()) for b in labels}
    cap = float(np.median(list(counts.values())))
    shares = {b: min(float(c), cap) for b, c in counts.items()}
    total = sum(shares.values())
    for b in labels:
        here = bins == b
        weights[here] *= shares[b] / (weights[here].sum() * total)
    return weights


# An age with more frames than this many times the median age's is evened out even when the frames look alike.
MAX_COUNT_RATIO = 3.0


def plan_balance(stats: Sequence[FrameStats], ages: Sequence[float],
                 sources: Sequence[str]) -> tuple[np.ndarray | None, BalanceReport]:
    """The training weights and the report. Frames that already look alike across ages, in similar numbers,
    are sampled as they are (None): weights estimated from a few frames per age add noise where there is
    nothing to fix (on the evaluation's synthetic performer, whose ages are spread evenly, weighting anyway
    cost about 3 years of target-age error)."""
    even = np.full(len(stats), 1.0 / max(1, len(stats)))
    as_is = balance_report(stats, ages, sources, even)
    _, counts = np.unique([age_bin(a) for a in ages], return_counts=True)
    if not as_is.warnings and counts.max() <= MAX_COUNT_RATIO * np.median(counts):
        as_is.weighted = False
        return None, as_is
    weights = balance_weights(stats, ages)
    return weights, balance_report(stats, ages, sources, weights)


def balance_report(stats: Sequence[FrameStats], ages: Sequence[float], sources: Sequence[str],
                   weights: np.ndarray) -> BalanceReport:
    bins = np.array([age_bin(a) for a in ages])
    table = np.array([s.values() for s in stats], np.float64)
    uniform = np.ones(len(stats))
    by_bin: dict[float, set[str]] = defaultdict(set)
    for b, src in zip(bins.tolist(), sources, strict=True):
        by_bin[b].add(src.split("#", 1)[0])  # "film.mov#120": the file, not the frame
    rows: list[dict[str, object]] = []
    for b in sorted(by_bin):
        here = bins == b
        row: dict[str, object] = {"ages": f"{b:g}-{b + BIN_YEARS:g}", "frames": int(here.sum()),
                                  "sources": sorted(by_bin[b])}
        for k, name in enumerate(STATISTICS):
            mean, sd = _weighted_moments(table[here, k], uniform[here])
            row[name] = {"mean": round(mean, 4), "sd": round(sd, 4)}
        rows.append(row)
    before = {name: _differences(table[:, k], bins, uniform) for k, name in enumerate(STATISTICS)}
    after = {name: _differences(table[:, k], bins, weights) for k, name in enumerate(STATISTICS)}
    warnings: list[str] = []
    if len(by_bin) >= 2:
        files = [by_bin[b] for b in sorted(by_bin)]
        if all(len(f) == 1 for f in files) and len(set().union(*files)) == len(files):
            listed = "; ".join(f"{row['ages']}: {next(iter(f))}" for row, f in zip(rows, files, strict=True))
            warnings.append(f"age is confounded with source: each age comes from one source only ({listed}), so "
                            "the model may learn each source's look (its shot, light, grade) as age; add another "
                            "source at one of these ages, or shots of different kinds from each source")
        for name, pairs in after.items():
            seen = [x for x in pairs if x.d > WARN_DIFFERENCE and abs(x.gap) > MATERIAL[name]]
            if not seen:
                continue
            x = max(seen, key=lambda y: abs(y.gap))
            label = name.replace("_", " ")
            d = "complete (neither age varies)" if math.isinf(x.d) else f"{x.d:.1f}"
            warnings.append(f"{label} differs between ages: the frames at {x.high:g}-{x.high + BIN_YEARS:g} differ "
                            f"from those at {x.low:g}-{x.low + BIN_YEARS:g} by {x.gap:+.3g} {UNITS[name]} even after "
                            f"balancing (standardised difference {d}; 0.8 is large), so the model may learn it as "
                            f"age; add frames whose {label} matches across ages")
    return BalanceReport(rows, {k: _largest(v) for k, v in before.items()}, {k: _largest(v) for k, v in after.items()},
                         warnings)
