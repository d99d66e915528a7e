"""The PNG housekeeping before signing: IDAT chunks merged losslessly; malformed PNGs refused with a reason."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from likeness.provenance.png import PNGError, _chunks, png_merge_idat


def _noise_png(path: Path, h: int = 240, w: int = 320) -> Path:
    img = np.random.default_rng(7).integers(0, 255, (h, w, 3), dtype=np.uint8)
    cv2.imwrite(str(path), img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return path


def _kinds(path: Path) -> list[bytes]:
    with open(path, "rb") as fh:
        return [kind for _, kind, _ in _chunks(fh)]


def test_merging_keeps_every_pixel_and_leaves_one_idat(tmp_path):
    src = _noise_png(tmp_path / "in.png")
    assert _kinds(src).count(b"IDAT") > 5, "libpng writes many small IDAT chunks"
    assert png_merge_idat(src, tmp_path / "out.png")
    assert _kinds(tmp_path / "out.png").count(b"IDAT") == 1
    before = cv2.imread(str(src), cv2.IMREAD_UNCHANGED)
    after = cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(before, after)
    # Every chunk's CRC is right (a strict decoder would refuse the file otherwise).
    data = (tmp_path / "out.png").read_bytes()
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + body)
        pos += 12 + length


def test_a_png_with_one_idat_is_left_alone(tmp_path):
    src = _noise_png(tmp_path / "in.png")
    png_merge_idat(src, tmp_path / "once.png")
    assert not png_merge_idat(tmp_path / "once.png", tmp_path / "twice.png")
    assert not (tmp_path / "twice.png").exists()


@pytest.mark.parametrize("damage, message", [
    (lambda b: b"GIF89a" + b[6:], "not a PNG"),
    (lambda b: b[: len(b) // 2], "truncated"),
])
def test_malformed_pngs_are_refused_with_the_reason(tmp_path, damage, message):
    src = _noise_png(tmp_path / "in.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(damage(src.read_bytes()))
    with pytest.raises(PNGError, match=message):
        png_merge_idat(bad, tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()
