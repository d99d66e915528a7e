"""What each output format costs and keeps, on a real close-up: PSNR against the source frames, size per
frame and write speed for the video codecs (engine.media.VIDEO_CODECS), and EXR read and write speed.

    python bench/plates.py                   # 1080 x 1080, 24 frames, about a minute on 2 cores
    python bench/plates.py --size 720 --frames 12

The frames are a push-in on a photograph in tests/data/faces (8-bit RGB); the EXR figures are for the same
frames as PIZ-compressed half-float RGB. Figures are for this machine; compare the rows with each other.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.exr import ExrFrame, read_exr, write_exr  # noqa: E402
from engine.media import VIDEO_CODECS, FrameWriter, read_all  # noqa: E402
from engine.quality import psnr  # noqa: E402
from tests.real_faces import photo, push_in  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1080)
    parser.add_argument("--frames", type=int, default=24)
    args = parser.parse_args()
    frames = push_in(photo("obama"), args.frames, size=args.size)
    n = len(frames)
    print(f"{n} frames of {args.size} x {args.size}")
    print(f"{'output':<22}{'PSNR':>10}{'MB/frame':>10}{'write fps':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for codec in VIDEO_CODECS:
            path = Path(tmp) / f"{codec}.{'mov' if codec == 'prores' else 'mp4'}"
            t0 = time.perf_counter()
            with FrameWriter(path, width=args.size, height=args.size, fps=Fraction(24), codec=codec) as writer:
                for frame in frames:
                    writer.write(frame)
            seconds = time.perf_counter() - t0
            quality = psnr(np.stack(frames), np.stack(read_all(path)))
            shown = "lossless" if quality == float("inf") else f"{quality:.1f} dB"
            print(f"{codec:<22}{shown:>10}{path.stat().st_size / n / 1e6:>10.2f}{n / seconds:>11.1f}")
        exr = [ExrFrame.from_proxy(frame) for frame in frames]
        t0 = time.perf_counter()
        for i, frame in enumerate(exr):
            write_exr(Path(tmp) / f"shot.{1001 + i}.exr", frame)
        write_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        back = [read_exr(Path(tmp) / f"shot.{1001 + i}.exr") for i in range(n)]
        read_s = time.perf_counter() - t0
        size = sum(os.path.getsize(Path(tmp) / f"shot.{1001 + i}.exr") for i in range(n)) / n / 1e6
        kept = all(np.array_equal(a.channels[c].view(np.uint16), b.channels[c].view(np.uint16))
                   for a, b in zip(exr, back, strict=True) for c in "RGB")
        print(f"{'EXR half (ZIP)':<22}{'lossless' if kept else 'CHANGED':>10}{size:>10.2f}{n / write_s:>11.1f}"
              f"   read {n / read_s:.1f} fps")


if __name__ == "__main__":
    main()
