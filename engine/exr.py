"""OpenEXR frames: the VFX plate format, scene-linear half or full float, read and written with OpenEXR.

The detector, tracker and model work on 8-bit display-referred RGB. An EXR frame is shown to them as a
*proxy*: its linear R, G and B through the sRGB transfer function, clipped to 0-1 and quantised to 8 bits.
When the aged proxy comes back, only the pixels whose proxy value changed are rewritten, and each keeps what
its proxy could not show (the plate's value minus the proxy's, so a highlight above 1.0 or a step finer than
8 bits survives). Every other value of the frame (the rest of the plate, channels other than R, G and B, the
header's attributes and compression) is written back bit for bit.

The proxy assumes Rec.709/sRGB primaries; a plate in a wide-gamut space (ACEScg) is aged in a slightly
shifted colour, and everything outside the face is still kept exactly.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import MediaError

RGB = ("R", "G", "B")
# A frame larger than this is refused from its header, before its pixels are decoded: an 8K full-aperture
# plate is 8192 x 4320 (35 Mpx); a header claiming 100000 x 100000 is a decompression bomb, not a plate.
MAX_SIDE = 16384
MAX_PIXELS = 8192 * 8192


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Linear light to sRGB-encoded 0-1 (IEC 61966-2-1), clipped to the displayable range."""
    x = np.clip(linear.astype(np.float32), 0.0, 1.0)
    out: np.ndarray = np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)
    return out


@cache
def _half_to_proxy() -> np.ndarray:
    """The proxy value of every half float, indexed by its 16 bits: a 1080p frame is one table lookup."""
    halves = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)
    halves = np.nan_to_num(halves, nan=0.0, posinf=1.0, neginf=0.0)
    table: np.ndarray = np.round(srgb_encode(halves) * 255.0).astype(np.uint8)
    return table


@cache
def _proxy_to_linear() -> np.ndarray:
    v = np.arange(256, dtype=np.float32) / 255.0
    table: np.ndarray = np.where(v <= 0.04045, v / 12.92, np.power((v + 0.055) / 1.055, 2.4)).astype(np.float32)
    return table


def to_proxy(channel: np.ndarray) -> np.ndarray:
    if channel.dtype == np.float16:
        proxy: np.ndarray = _half_to_proxy()[channel.view(np.uint16)]
        return proxy
    values = np.nan_to_num(channel.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    return np.round(srgb_encode(values) * 255.0).astype(np.uint8)


def proxy_to_linear(proxy: np.ndarray) -> np.ndarray:
    """8-bit sRGB to linear float32 (the inverse of the proxy, up to its quantisation)."""
    linear: np.ndarray = _proxy_to_linear()[proxy]
    return linear


@dataclass
class ExrFrame:
    """One EXR frame: its header and channels as read, and the 8-bit proxy the engine works on."""

    header: dict[str, Any]
    channels: dict[str, np.ndarray]  # name -> H x W pixels, dtype as stored (float16, float32 or uint32)
    proxy: np.ndarray = field(init=False)  # H x W x 3 uint8 RGB

    def __post_init__(self) -> None:
        self.proxy = np.ascontiguousarray(np.stack([to_proxy(self.channels[c]) for c in RGB], axis=-1))

    @classmethod
    def from_proxy(cls, proxy: np.ndarray) -> ExrFrame:
        """A new half-float frame from 8-bit RGB (a video plate written out as EXR)."""
        linear = proxy_to_linear(proxy)
        channels = {c: np.ascontiguousarray(linear[..., i].astype(np.float16)) for i, c in enumerate(RGB)}
        import OpenEXR

        return cls({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}, channels)

    def with_proxy(self, aged: np.ndarray) -> ExrFrame:
        """This frame with the aged proxy's changes carried into its linear values (see the module's note)."""
        if aged.shape != self.proxy.shape or aged.dtype != np.uint8:
            raise MediaError(f"frame of shape {aged.shape} {aged.dtype} does not match the EXR plate's "
                             f"{self.proxy.shape} uint8")
        changed = np.any(aged != self.proxy, axis=-1)
        if not changed.any():
            return self
        lut = _proxy_to_linear()
        channels = dict(self.channels)
        for i, name in enumerate(RGB):
            plate = self.channels[name]
            values = plate[changed].astype(np.float32)
            moved = values + lut[aged[changed, i]] - lut[self.proxy[changed, i]]
            # A step down at the foot of the curve must not turn a black pixel negative.
            moved = np.maximum(moved, np.minimum(values, 0.0))
            out = plate.copy()
            out[changed] = moved.astype(plate.dtype)
            channels[name] = out
        frame = ExrFrame.__new__(ExrFrame)
        frame.header, frame.channels, frame.proxy = self.header, channels, aged
        return frame


def data_window_size(header: dict[str, Any]) -> tuple[int, int]:
    lo, hi = header["dataWindow"]
    return int(hi[0]) - int(lo[0]) + 1, int(hi[1]) - int(lo[1]) + 1


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The header of a single-part RGB EXR, checked: refused by name when it is not a plate the engine can age."""
    import OpenEXR

    spath = str(path)
    if not os.path.isfile(spath):
        raise MediaError(f"{spath}: file does not exist")
    if os.path.getsize(spath) == 0:
        raise MediaError(f"{spath}: file is empty (0 bytes)")
    try:
        file = OpenEXR.File(spath, header_only=True)
    except (RuntimeError, ValueError) as exc:
        raise MediaError(f"{spath}: not a readable EXR file (corrupt or not EXR): {exc}") from exc
    if len(file.parts) != 1:
        raise MediaError(f"{spath}: a multi-part EXR ({len(file.parts)} parts); give one part per file")
    header = dict(file.header())
    kind = header.get("type")
    if kind is not None and "deep" in str(kind):
        raise MediaError(f"{spath}: a deep EXR; deep data cannot be aged, give a flat (scanline or tiled) plate")
    width, height = data_window_size(header)
    if width <= 0 or height <= 0 or width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise MediaError(f"{spath}: refused before decoding: its data window is {width} x {height}; the limit is "
                         f"{MAX_SIDE} px a side and {MAX_PIXELS // 1_000_000} Mpx")
    channels = {c.name: c for c in header.get("channels", [])}
    missing = [c for c in RGB if c not in channels]
    if missing:
        raise MediaError(f"{spath}: no {', '.join(missing)} channel (it has {', '.join(sorted(channels)) or 'none'}); "
                         f"the engine ages RGB plates")
    sub = [c for c in RGB if (channels[c].xSampling, channels[c].ySampling) != (1, 1)]
    if sub:
        raise MediaError(f"{spath}: channel {sub[0]} is subsampled; give full-resolution R, G and B")
    return header


def read_exr(path: str | os.PathLike[str]) -> ExrFrame:
    import OpenEXR

    spath = str(path)
    read_header(spath)
    try:
        file = OpenEXR.File(spath, separate_channels=True)
        header = dict(file.header())
        channels = {name: channel.pixels for name, channel in file.channels().items()}
    except (RuntimeError, ValueError) as exc:
        raise MediaError(f"{spath}: EXR pixel data cannot be read (corrupt or truncated?): {exc}") from exc
    for name in RGB:
        if name not in channels or channels[name].dtype not in (np.float16, np.float32):
            raise MediaError(f"{spath}: channel {name} is not half or full float (the pixels did not decode)")
    shape = channels["R"].shape
    if any(channels[c].shape != shape for c in RGB):
        raise MediaError(f"{spath}: R, G and B differ in size")
    return ExrFrame(header, channels)


def write_exr(path: str | os.PathLike[str], frame: ExrFrame) -> None:
    """Write ``frame`` with its header; the file appears whole or not at all (written beside it, then renamed)."""
    import OpenEXR

    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    try:
        # Copies: OpenEXR.File replaces the arrays in the dicts it is given with its own Channel objects.
        OpenEXR.File(dict(frame.header), dict(frame.channels)).write(str(partial))
        os.replace(partial, target)
    except (RuntimeError, ValueError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise MediaError(f"{target}: cannot write EXR: {exc}") from exc
