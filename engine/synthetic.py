"""Synthetic performers: seeded faces that can be rendered at any age, with exact ground truth.

No labelled real-face age data installs offline, and tests must not depend on real people. A synthetic
performer is built from the one real face photo that ships with scikit-image (``astronaut``): each
identity seed warps its geometry (face shape, eye spacing, nose, jaw) and recolours skin, hair and
background, so the real dlib detector still finds it. Age cues are then painted procedurally in the
face's own coordinates, each growing monotonically with age:

* lines: forehead lines, crow's feet, nasolabial folds, under-eye and marionette lines;
* greying of hair and brows, and a slight desaturation of the skin;
* sagging: jowls, cheeks and under-eye bags pulled down;
* age spots, each with its own onset age;
* young ages (< 30) get smoother, brighter skin.

Because the renderer is a pure function of (identity, age, frame parameters), the same frame can be
rendered at any age: every engine output has a ground-truth counterpart.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import cast

import cv2
import numpy as np

AGE_MIN, AGE_MAX = 18.0, 85.0

# The astronaut photo is cut to this window (rows, cols) before anything else; coordinates below are in
# the full 512x512 photo and shifted by _ORIGIN.
_WIN_Y0, _WIN_Y1, _WIN_X0, _WIN_X1 = 0, 300, 90, 370
_ORIGIN = np.array([_WIN_X0, _WIN_Y0], np.float32)
# dlib's 5 points measured on the photo: eye corners (one eye, outer then inner; other eye, outer then
# inner) and the base of the nose, in dlib's order.
_BASE_LANDMARKS = np.array([[255, 104], [237, 105], [195, 101], [212, 103], [224, 135]], np.float32)


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


@dataclass(frozen=True)
class AgeCues:
    """How strongly each age cue shows at one age (all in [0, 1], non-decreasing in age)."""

    lines: float
    grey: float
    sag: float
    youth: float  # 1 at 18, 0 from 30 on: smooth, bright skin

    @classmethod
    def at(cls, age: float) -> AgeCues:
        return cls(
            lines=_smoothstep((age - 26.0) / 52.0),
            grey=_smoothstep((age - 34.0) / 44.0),
            sag=_smoothstep((age - 32.0) / 50.0),
            youth=_smoothstep((30.0 - age) / 12.0),
        )


@dataclass(frozen=True)
class FrameParams:
    """Everything about one frame except identity and age: pose, expression, light, framing."""

    roll_deg: float = 0.0
    yaw: float = 0.0  # -1..1, simulated by a horizontal perspective squeeze
    scale: float = 1.0  # face size relative to the frame's default framing
    tx: float = 0.0  # offset of the face centre as a fraction of the frame width
    ty: float = 0.0
    smile: float = 0.0  # -1 (mouth corners down) .. 1 (wider smile)
    brow: float = 0.0  # -1 (frown) .. 1 (raised)
    light_angle: float = 0.0  # direction of a soft side light, radians
    light_strength: float = 0.0  # 0..0.35
    exposure: float = 1.0
    warmth: float = 0.0  # -1 cool .. 1 warm


@dataclass(frozen=True)
class Rendered:
    image: np.ndarray  # H x W x 3 uint8 RGB
    landmarks: np.ndarray  # 5 x 2 float32, dlib order, in frame pixels
    age: float


@lru_cache(maxsize=1)
def _base_photo() -> np.ndarray:
    import skimage.data

    astronaut = cast(Callable[[], np.ndarray], skimage.data.astronaut)  # skimage leaves it unannotated
    photo = astronaut()
    return np.ascontiguousarray(photo[_WIN_Y0:_WIN_Y1, _WIN_X0:_WIN_X1]).astype(np.float32)


def _ellipse_mask(shape: tuple[int, int], centre: tuple[float, float], axes: tuple[float, float],
                  feather: float) -> np.ndarray:
    mask = np.zeros(shape, np.float32)
    cv2.ellipse(mask, (int(centre[0]), int(centre[1])), (int(axes[0]), int(axes[1])), 0, 0, 360, 1.0, -1)
    k = int(feather) * 2 + 1
    return cv2.GaussianBlur(mask, (k, k), feather / 2)


@lru_cache(maxsize=1)
def _region_masks() -> dict[str, np.ndarray]:
    """Soft masks in window coordinates: skin, hair, brows, head (everything kept from the photo)."""
    h, w = _WIN_Y1 - _WIN_Y0, _WIN_X1 - _WIN_X0
    o = _ORIGIN
    skin = _ellipse_mask((h, w), (225 - o[0], 132 - o[1]), (42, 56), 6)
    # The fringe covers the top of the forehead: cut skin above the hairline.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    hairline = 80 - o[1] + 0.012 * (xx - (224 - o[0])) ** 2
    skin *= np.clip((yy - hairline) / 4.0, 0, 1)
    head = _ellipse_mask((h, w), (226 - o[0], 112 - o[1]), (92, 100), 10)
    body: np.ndarray = np.zeros((h, w), np.float32)  # cv2.GaussianBlur below returns its looser MatLike
    pts = np.array([[150, 170], [300, 170], [360, 300], [95, 300]], np.float32) - o
    cv2.fillPoly(body, [pts.astype(np.int32)], 1.0)
    body = cv2.GaussianBlur(body, (21, 21), 5)
    matte = np.maximum(head, body)
    hair = np.clip(head - skin * 1.3, 0, 1) * (yy < 170 - o[1]).astype(np.float32)
    photo = _base_photo()
    # Hair is where the photo is darker and browner than skin: refine the region by colour.
    lum = photo.mean(axis=2)
    hair *= np.clip((185 - lum) / 40.0, 0, 1)
    brows = np.zeros((h, w), np.float32)
    for (x0, x1, y) in ((188, 213, 95), (232, 259, 94)):
        cv2.ellipse(brows, (int((x0 + x1) / 2 - o[0]), int(y - o[1])), (int((x1 - x0) / 2), 3), 0, 0, 360, 1.0, -1)
    brows = cv2.GaussianBlur(brows, (5, 5), 1.2) * np.clip((170 - lum) / 40.0, 0, 1)
    return {"skin": skin, "hair": hair, "brows": brows, "matte": matte}


@dataclass(frozen=True)
class _Stroke:
    points: np.ndarray  # N x 2 window coordinates
    width: float
    weight: float  # darkness at full strength


def _curve(p0: np.ndarray, p1: np.ndarray, bend: float, n: int = 12) -> np.ndarray:
    """A quadratic curve from p0 to p1 bowed sideways by ``bend`` pixels."""
    mid = (p0 + p1) / 2
    d = p1 - p0
    normal = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-6)
    ctrl = mid + normal * bend
    t = np.linspace(0, 1, n)[:, None]
    curve: np.ndarray = ((1 - t) ** 2) * p0 + 2 * (1 - t) * t * ctrl + (t ** 2) * p1
    return curve


class SyntheticPerformer:
    """One seeded identity that renders frames at any age."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        rng = np.random.default_rng(10_000 + self.seed)
        h, w = _WIN_Y1 - _WIN_Y0, _WIN_X1 - _WIN_X0
        self._shape = (h, w)
        o = _ORIGIN
        # --- identity geometry: a smooth displacement field plus feature-specific moves ---
        self._eye_spread = rng.uniform(-3.5, 3.5)
        self._nose_len = rng.uniform(-3.0, 3.0)
        self._jaw = rng.uniform(-5.0, 5.0)
        self._face_w = rng.uniform(0.92, 1.08)
        self._face_h = rng.uniform(0.94, 1.06)
        coarse = rng.normal(0, 2.2, size=(2, 5, 5)).astype(np.float32)
        self._noise_field = np.stack([cv2.resize(c, (w, h), interpolation=cv2.INTER_CUBIC) for c in coarse])
        # --- identity colour ---
        self._skin_shift = np.array([rng.uniform(-28, 22), rng.uniform(-8, 10), rng.uniform(-10, 12)], np.float32)
        self._hair_lum = rng.uniform(0.35, 1.25)
        # Natural hair only: darker/lighter and warmer/cooler, never green or purple.
        self._hair_tint = (rng.uniform(-18, 18) * np.array([1.0, 0.6, 0.2])).astype(np.float32)
        self._bg = rng.uniform(40, 220, size=(2, 3)).astype(np.float32)
        # --- age cue layout (fixed per identity, intensity set by age) ---
        self._strokes = self._make_strokes(rng, o)
        n_spots = 14
        self._spots = [
            (rng.uniform(190, 262) - o[0], rng.uniform(84, 178) - o[1], rng.uniform(1.2, 2.6), rng.uniform(42, 80))
            for _ in range(n_spots)
        ]
        self._spots = [s for s in self._spots if not (95 - o[1] < s[1] < 110 - o[1])]  # keep eyes clear
        self._identity_field = self._build_identity_field()
        self._base_landmarks = _BASE_LANDMARKS - o

    # ------------------------------------------------------------------ layout
    def _make_strokes(self, rng: np.random.Generator, o: np.ndarray) -> list[_Stroke]:
        def j(s: float = 1.0) -> float:  # tiny jitter helper
            return rng.normal(0, s)

        strokes: list[_Stroke] = []
        # Forehead lines, between hairline (~82) and brows (~92).
        for k, y in enumerate((84.5, 87.5, 90.0)):
            strokes.append(_Stroke(_curve(np.array([198 + j(2), y + j(0.5)]), np.array([250 + j(2), y + j(0.5)]),
                                          -2.0 + j(0.6)) - o, 1.0, 0.55 - 0.08 * k))
        # Crow's feet at the outer eye corners, three rays each.
        for cx, cy, side in ((196, 102, -1), (256, 104, 1)):
            for a in (-25, 0, 25):
                ang = math.radians(a + j(5))
                p0 = np.array([cx + side * 3, cy])
                p1 = p0 + np.array([side * 8 * math.cos(ang), 8 * math.sin(ang)])
                strokes.append(_Stroke(_curve(p0, p1, j(0.8), 6) - o, 0.9, 0.6))
        # Under-eye lines.
        for x0, x1 in ((196, 214), (235, 255)):
            strokes.append(_Stroke(_curve(np.array([x0, 109 + j(0.5)]), np.array([x1, 109 + j(0.5)]), 2.5) - o, 1.0, 0.55))
        # Nasolabial folds: beside the nose down to the mouth corners.
        strokes.append(_Stroke(_curve(np.array([211 + j(), 128.0]), np.array([200 + j(), 150.0]), 2.5) - o, 1.4, 0.75))
        strokes.append(_Stroke(_curve(np.array([238 + j(), 128.0]), np.array([251 + j(), 150.0]), -2.5) - o, 1.4, 0.75))
        # Marionette lines from the mouth corners down.
        strokes.append(_Stroke(_curve(np.array([203.0, 152.0]), np.array([205 + j(), 168.0]), 1.0) - o, 1.1, 0.55))
        strokes.append(_Stroke(_curve(np.array([248.0, 152.0]), np.array([246 + j(), 168.0]), -1.0) - o, 1.1, 0.55))
        # Neck/jaw lines.
        strokes.append(_Stroke(_curve(np.array([212.0, 180.0]), np.array([238.0, 180.0]), 2.0) - o, 1.0, 0.4))
        return strokes

    def _build_identity_field(self) -> np.ndarray:
        """Backward map (dx, dy) giving, for each output pixel, where to sample the photo."""
        h, w = self._shape
        o = _ORIGIN
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy = 225 - o[0], 125 - o[1]
        # Global face width/height: sample closer to the centre to make the face wider.
        dx = (xx - cx) * (1 / self._face_w - 1)
        dy = (yy - cy) * (1 / self._face_h - 1)
        fade = _ellipse_mask((h, w), (cx, cy), (95, 105), 20)
        dx *= fade
        dy *= fade
        dx += self._noise_field[0] * fade
        dy += self._noise_field[1] * fade
        # Eye spacing: push each eye region sideways.
        for ex, sign in ((203 - o[0], -1), (246 - o[0], 1)):
            g = np.exp(-(((xx - ex) / 14) ** 2 + ((yy - (102 - o[1])) / 10) ** 2))
            dx -= sign * self._eye_spread * g
        # Nose length: move the nose base down/up.
        g = np.exp(-(((xx - (224 - o[0])) / 14) ** 2 + ((yy - (130 - o[1])) / 10) ** 2))
        dy -= self._nose_len * g
        # Jaw width: widen/narrow the lower face.
        g = np.exp(-(((yy - (165 - o[1])) / 18) ** 2)) * fade
        dx -= self._jaw * np.tanh((xx - cx) / 30) * g
        return np.stack([dx, dy]).astype(np.float32)

    # ----------------------------------------------------------------- painting
    def _paint_age(self, img: np.ndarray, age: float) -> np.ndarray:
        cues = AgeCues.at(age)
        masks = _region_masks()
        skin = masks["skin"][..., None]
        out = img.copy()
        if cues.youth > 0:
            smooth = cv2.bilateralFilter(out, 7, 25, 5)
            out = out + skin * cues.youth * ((smooth - out) * 0.9 + 8.0)
        if cues.lines > 0:
            s = 4  # draw at 4x for anti-aliased thin lines
            h, w = self._shape
            canvas = np.zeros((h * s, w * s), np.float32)
            for st in self._strokes:
                pts = (st.points * s).astype(np.int32)
                cv2.polylines(canvas, [pts], False, st.weight, max(1, int(st.width * s)), cv2.LINE_AA)
            dark = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
            dark = cv2.GaussianBlur(dark, (3, 3), 0.6)
            # A highlight just below each line makes a fold rather than a pen stroke.
            light = np.roll(dark, 1, axis=0)
            shade = 1 - 0.62 * cues.lines * dark + 0.12 * cues.lines * np.clip(light - dark, 0, 1)
            out = out * (1 + (shade[..., None] - 1) * np.clip(skin * 1.5, 0, 1))
        spot_layer = np.zeros(self._shape, np.float32)
        for x, y, r, onset in self._spots:
            a = np.clip((age - onset) / 8.0, 0, 1)
            if a > 0:
                cv2.circle(spot_layer, (int(x * 4), int(y * 4)), int(r * 4), float(a), -1, cv2.LINE_AA, shift=2)
        if spot_layer.any():
            spot_layer = cv2.GaussianBlur(spot_layer, (3, 3), 0.7)[..., None] * skin
            spot_col = np.array([120, 80, 50], np.float32)
            out = out * (1 - 0.55 * spot_layer) + spot_col * 0.55 * spot_layer
        if cues.grey > 0:
            for name, amount, lift in (("hair", 0.92, 70.0), ("brows", 0.85, 85.0)):
                m = masks[name][..., None] * cues.grey * amount
                lum = out.mean(axis=2, keepdims=True)
                grey = np.clip(lum * 0.6 + lift + 40, 0, 255) * np.array([1.0, 1.0, 1.02], np.float32)
                out = out * (1 - m) + grey * m
            # Older skin: a little less saturated and slightly sallow.
            lum = out.mean(axis=2, keepdims=True)
            k = skin * 0.25 * cues.grey
            out = out * (1 - k) + (lum + np.array([4, 2, -6], np.float32)) * k
        return out

    def _recolour(self, img: np.ndarray) -> np.ndarray:
        masks = _region_masks()
        skin = masks["skin"][..., None]
        hair = masks["hair"][..., None]
        lab = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_RGB2LAB).astype(np.float32)
        lab = lab + skin * self._skin_shift * np.array([1, 0.5, 0.5], np.float32)
        out = cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB).astype(np.float32)
        recol = np.clip(out * self._hair_lum + self._hair_tint, 0, 255)
        recoloured: np.ndarray = out * (1 - hair) + recol * hair
        return recoloured

    def _age_field(self, age: float, params: FrameParams) -> np.ndarray:
        """Backward displacement for sagging (age) and expression (frame)."""
        h, w = self._shape
        o = _ORIGIN
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cues = AgeCues.at(age)
        dx = np.zeros((h, w), np.float32)
        dy = np.zeros((h, w), np.float32)
        # Sagging: jowls and cheeks slide down (sample from above), bags under the eyes.
        for (cx, cy, sx, sy, amt) in ((200, 165, 14, 12, 5.0), (250, 165, 14, 12, 5.0),
                                      (200, 125, 12, 10, 2.5), (250, 125, 12, 10, 2.5),
                                      (205, 110, 9, 4, 1.5), (246, 110, 9, 4, 1.5)):
            g = np.exp(-(((xx - (cx - o[0])) / sx) ** 2 + ((yy - (cy - o[1])) / sy) ** 2))
            dy -= amt * cues.sag * g
        # Smile: mouth corners move out and up.
        for cx, side in ((203, -1), (248, 1)):
            g = np.exp(-(((xx - (cx - o[0])) / 8) ** 2 + ((yy - (142 - o[1])) / 7) ** 2))
            dx -= side * 2.0 * params.smile * g
            dy += 2.5 * params.smile * g
        # Brows up/down.
        for cx in (200, 245):
            g = np.exp(-(((xx - (cx - o[0])) / 16) ** 2 + ((yy - (94 - o[1])) / 6) ** 2))
            dy += 2.5 * params.brow * g
        return np.stack([dx, dy])

    # ------------------------------------------------------------------ render
    def head(self, age: float, params: FrameParams = FrameParams()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The head in window coordinates at ``age``: (RGB float image, matte, 5 landmarks)."""
        h, w = self._shape
        photo = _base_photo()
        painted = self._paint_age(photo, float(age))
        painted = self._recolour(painted)
        field = self._identity_field + self._age_field(float(age), params)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        map_x, map_y = xx + field[0], yy + field[1]
        img = cv2.remap(painted, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        matte = cv2.remap(_region_masks()["matte"], map_x, map_y, cv2.INTER_LINEAR)
        # Landmarks move with the inverse of the backward map: solve p = q + field(q) for q.
        lms = []
        for p in self._base_landmarks:
            q = p.copy()
            for _ in range(8):
                xi, yi = int(np.clip(round(q[0]), 0, w - 1)), int(np.clip(round(q[1]), 0, h - 1))
                q = p - field[:, yi, xi]
            lms.append(q)
        return img, matte, np.array(lms, np.float32)

    def background(self, width: int, height: int, variant: int = 0) -> np.ndarray:
        rng = np.random.default_rng(77_000 + self.seed * 31 + variant)
        t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
        bg = self._bg[0] * (1 - t) + self._bg[1] * t
        bg = np.broadcast_to(bg, (height, width, 3)).copy()
        blobs = rng.normal(0, 12, size=(4, 6, 3)).astype(np.float32)
        bg += cv2.resize(blobs, (width, height), interpolation=cv2.INTER_CUBIC)
        return bg

    def render(self, age: float, params: FrameParams = FrameParams(), size: tuple[int, int] = (320, 320),
               *, background_variant: int = 0) -> Rendered:
        """Render one frame of ``size`` = (width, height) at ``age``."""
        width, height = size
        img, matte, lms = self.head(age, params)
        # Place the head: face (eye distance ~ 0.19 of the smaller side at scale 1) centred in frame.
        eye_c = (lms[0] + lms[1] + lms[2] + lms[3]) / 4
        eye_dist = float(np.linalg.norm((lms[0] + lms[1]) / 2 - (lms[2] + lms[3]) / 2))
        s = 0.19 * min(width, height) * params.scale / eye_dist
        centre = np.array([width * (0.5 + params.tx), height * (0.44 + params.ty)], np.float32)
        a = math.radians(params.roll_deg)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], np.float32) * s
        affine = np.hstack([rot, (centre - rot @ eye_c)[:, None]]).astype(np.float32)
        # Yaw: a mild perspective squeeze of one side about the face centre.
        yaw = float(np.clip(params.yaw, -1, 1)) * 0.12
        persp = np.array([[1, 0, 0], [0, 1, 0], [yaw / (eye_dist * 4), 0, 1]], np.float32)
        t_centre = np.array([[1, 0, -eye_c[0]], [0, 1, -eye_c[1]], [0, 0, 1]], np.float32)
        homog = np.vstack([affine, [0, 0, 1]]) @ np.linalg.inv(t_centre) @ persp @ t_centre
        homog = homog / homog[2, 2]
        head = cv2.warpPerspective(img, homog, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        alpha = cv2.warpPerspective(matte, homog, (width, height), flags=cv2.INTER_LINEAR)[..., None]
        frame = self.background(width, height, background_variant) * (1 - alpha) + head * alpha
        # Light: exposure, colour temperature, and a soft directional gradient.
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        d = ((xx - centre[0]) * math.cos(params.light_angle) + (yy - centre[1]) * math.sin(params.light_angle))
        d /= 0.5 * min(width, height)
        gain = params.exposure * (1 + params.light_strength * np.tanh(d))
        warm = np.array([1 + 0.06 * params.warmth, 1.0, 1 - 0.06 * params.warmth], np.float32)
        frame = frame * gain[..., None] * warm
        pts = cv2.perspectiveTransform(lms[None].astype(np.float32), homog)[0]
        return Rendered(image=np.clip(frame + 0.5, 0, 255).astype(np.uint8), landmarks=pts.astype(np.float32),
                        age=float(age))


def random_params(rng: np.random.Generator, *, amount: float = 1.0) -> FrameParams:
    """A random pose/expression/light within ranges the HOG frontal detector handles."""
    return FrameParams(
        roll_deg=float(rng.uniform(-9, 9) * amount), yaw=float(rng.uniform(-1, 1) * amount),
        scale=float(rng.uniform(0.85, 1.15)), tx=float(rng.uniform(-0.08, 0.08) * amount),
        ty=float(rng.uniform(-0.05, 0.05) * amount), smile=float(rng.uniform(-1, 1) * amount),
        brow=float(rng.uniform(-1, 1) * amount), light_angle=float(rng.uniform(0, 2 * math.pi)),
        light_strength=float(rng.uniform(0, 0.3) * amount), exposure=float(rng.uniform(0.85, 1.12)),
        warmth=float(rng.uniform(-1, 1) * amount),
    )


def clip_params(seed: int, n_frames: int, *, fps: float = 24.0, amount: float = 1.0) -> list[FrameParams]:
    """Smooth per-frame parameters: each one is a sum of slow sinusoids, so motion is continuous."""
    rng = np.random.default_rng(55_000 + seed)
    base = random_params(rng, amount=0.4 * amount)
    names = ["roll_deg", "yaw", "scale", "tx", "ty", "smile", "brow"]
    amps = {"roll_deg": 5.0, "yaw": 0.6, "scale": 0.06, "tx": 0.04, "ty": 0.025, "smile": 0.7, "brow": 0.7}
    waves = {n: [(rng.uniform(0.05, 0.35), rng.uniform(0, 2 * math.pi)) for _ in range(2)] for n in names}
    out = []
    for i in range(n_frames):
        t = i / fps
        vals = {}
        for n in names:
            v = getattr(base, n) + amount * amps[n] * sum(0.5 * math.sin(2 * math.pi * f * t + ph) for f, ph in waves[n])
            vals[n] = float(v)
        vals["yaw"] = float(np.clip(vals["yaw"], -1, 1))
        vals["smile"] = float(np.clip(vals["smile"], -1, 1))
        vals["brow"] = float(np.clip(vals["brow"], -1, 1))
        out.append(replace(base, **vals))
    return out


def render_clip(performer: SyntheticPerformer, age: float, params: list[FrameParams],
                size: tuple[int, int] = (320, 320), *, background_variant: int = 0) -> list[Rendered]:
    return [performer.render(age, p, size, background_variant=background_variant) for p in params]


def empty_frame(size: tuple[int, int] = (320, 320), seed: int = 0) -> np.ndarray:
    """A frame with no face (background only): such frames must pass through the engine unchanged."""
    frame: np.ndarray = np.clip(SyntheticPerformer(seed).background(size[0], size[1], 99), 0, 255).astype(np.uint8)
    return frame


def reference_set(seed: int, n: int, *, size: tuple[int, int] = (320, 320), age_range: tuple[float, float] = (20, 80),
                  sample_seed: int | None = None) -> list[Rendered]:
    """Frames of one performer at random ages, poses and light: stand-in for footage of earlier films."""
    perf = SyntheticPerformer(seed)
    rng = np.random.default_rng(90_000 + (seed if sample_seed is None else sample_seed))
    frames = []
    for _ in range(n):
        age = float(rng.uniform(*age_range))
        frames.append(perf.render(age, random_params(rng), size, background_variant=int(rng.integers(0, 8))))
    return frames
