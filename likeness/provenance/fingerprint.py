"""Perceptual content fingerprints: find an output again after its manifest was stripped (re-encoded, resized,
screenshotted), when its bytes and SHA-256 no longer match.

A fingerprint is the DCT hash (pHash) of a few frames sampled at fixed fractions of the duration (one frame for
a still). Each frame hash is 64 bits: the signs of the lowest 8x8 DCT coefficients of a 32x32 grey thumbnail
against their median. Re-encoding and mild scaling flip only a few bits; a different shot flips about half.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import cv2
import numpy as np

from likeness.common import uploads

VERSION = "p1"
SAMPLES = 8
# Mean Hamming distance (bits of 64) under which two fingerprints are the same content. Re-encodes measured
# here stay under 6; unrelated frames sit near 32.
MATCH_BITS = 12


def _frame_hash(grey: np.ndarray) -> int:
    small = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    coeffs = cv2.dct(small)[:8, :8].flatten()
    median = np.median(coeffs[1:])
    bits = coeffs > median
    bits[0] = False  # the DC term is the mean brightness: left out, it says nothing about structure
    return int("".join("1" if b else "0" for b in bits), 2)


def _image_hashes(data: bytes) -> list[int]:
    # The header first: OpenCV would inflate a decompression bomb (a small PNG of 20000 x 20000) to gigabytes.
    pictures = uploads.image_header(io.BytesIO(data))
    why = uploads.pixel_refusal(pictures, video=False) if pictures else None
    if why:
        raise ValueError(f"not decoded: {why}")
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if arr is None:
        raise ValueError("not a decodable image")
    return [_frame_hash(arr)]


def _video_hashes(source: str | IO[bytes]) -> list[int]:
    import av  # PyAV: decodes H.264 without OpenCV's codec limits

    hashes: list[int] = []
    with av.open(source, mode="r") as container:
        stream = container.streams.video[0]
        # The header's frame size first: a frame too big to decode is refused before the decoder allocates it.
        why = uploads.pixel_refusal(uploads.Pictures(stream.codec_context.width, stream.codec_context.height, 1),
                                    video=True)
        if why:
            raise ValueError(f"not decoded: {why}")
        stream.thread_type = "AUTO"  # decode on every core: the whole clip is decoded to reach the samples
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        frames = stream.frames or 0
        targets = [(k + 0.5) / SAMPLES for k in range(SAMPLES)]
        index = 0
        for n, frame in enumerate(container.decode(stream)):
            if duration:
                position = (frame.time or 0.0) / duration
            elif frames:
                position = n / frames
            else:
                position = 1.0  # unknown length: take the first frames
            while index < len(targets) and position >= targets[index] - 1e-9:
                hashes.append(_frame_hash(frame.to_ndarray(format="gray")))
                index += 1
            if index >= len(targets):
                break
    if not hashes:
        raise ValueError("no frames decoded")
    return hashes


def fingerprint_bytes(data: bytes, mime: str) -> str:
    hashes = _video_hashes(io.BytesIO(data)) if mime.startswith("video/") else _image_hashes(data)
    return encode(hashes)


def fingerprint_path(path: Path, mime: str) -> str:
    if mime.startswith("video/"):
        return encode(_video_hashes(str(path)))
    return encode(_image_hashes(Path(path).read_bytes()))


def fingerprint_stream(stream: IO[bytes], mime: str) -> str:
    stream.seek(0)
    try:
        if mime.startswith("video/"):
            return encode(_video_hashes(stream))
        return encode(_image_hashes(stream.read()))
    finally:
        stream.seek(0)


def encode(hashes: Iterable[int]) -> str:
    return VERSION + ":" + ",".join(f"{h:016x}" for h in hashes)


def decode(fingerprint: str) -> list[int]:
    version, _, body = fingerprint.partition(":")
    if version != VERSION or not body:
        return []
    return [int(part, 16) for part in body.split(",")]


def distance(a: str | list[int], b: str | list[int]) -> float:
    """Mean, over the frames of `a`, of the Hamming distance to the closest frame of `b` (64 when unknown)."""
    ha = decode(a) if isinstance(a, str) else a
    hb = decode(b) if isinstance(b, str) else b
    if not ha or not hb:
        return 64.0
    return sum(min((x ^ y).bit_count() for y in hb) for x in ha) / len(ha)
