"""Benchmark of the engine: frames per second per stage and end to end.

    python bench/engine.py                 # 720p and 1080p, preview and final models, ~1-2 minutes on CPU
    python bench/engine.py --frames 48 --device cuda

A synthetic performer clip is encoded to H.264 at each resolution, then aged through the same code path as
``engine.api.age_video`` (decode -> detect/track -> align -> model -> composite -> encode). The models are
untrained (random weights): speed does not depend on what the weights are.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import synthetic  # noqa: E402
from engine.device import pick_device  # noqa: E402
from engine.media import FrameWriter, iter_frames  # noqa: E402
from engine.model.config import preset  # noqa: E402
from engine.model.infer import AgeRenderer  # noqa: E402
from engine.model.net import AgeModel  # noqa: E402
from engine.pipeline import FaceAger  # noqa: E402

STAGES = ("decode", "detect_track", "align", "model", "composite", "encode")


def make_plate(path: Path, size: tuple[int, int], frames: int) -> None:
    perf = synthetic.SyntheticPerformer(1)
    params = synthetic.clip_params(1, frames)
    # Render the head at 512 px and place it in the big frame: rendering at full 1080p is slow and is
    # not what is being measured.
    with FrameWriter(path, width=size[0], height=size[1], fps=Fraction(24)) as w:
        for p in params:
            w.write(perf.render(40, p, size).image)


def bench(plate: Path, model_name: str, device: str | None, chunk: int, detect_every: int) -> dict[str, float]:
    import torch

    torch.manual_seed(0)
    renderer = AgeRenderer(AgeModel(preset(model_name)), device=device, batch_size=chunk)
    ager = FaceAger(renderer, detect_every=detect_every)
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        t_all = time.perf_counter()
        width, height = _size(plate)
        with FrameWriter(Path(tmp) / "out.mp4", width=width, height=height, fps=Fraction(24)) as w:
            frames = iter_frames(plate)
            chunk_frames = []
            while True:
                t = time.perf_counter()
                f = next(frames, None)
                ager.timer.add("decode", time.perf_counter() - t)
                if f is not None:
                    chunk_frames.append(f)
                if chunk_frames and (f is None or len(chunk_frames) >= chunk):
                    for o in ager.process_batch(chunk_frames, 70):
                        t = time.perf_counter()
                        w.write(o.frame)
                        ager.timer.add("encode", time.perf_counter() - t)
                    n += len(chunk_frames)
                    chunk_frames = []
                if f is None:
                    break
        total = time.perf_counter() - t_all
    out = {s: n / ager.timer.seconds[s] if ager.timer.seconds.get(s) else float("inf") for s in STAGES}
    out["end_to_end"] = n / total
    out["no_encode"] = n / (total - ager.timer.seconds.get("encode", 0.0))
    return out


def _size(path: Path) -> tuple[int, int]:
    from engine.media import probe

    i = probe(path)
    return i.width, i.height


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--sizes", default="720p,1080p")
    ap.add_argument("--models", default="preview,final")
    ap.add_argument("--device", default=None)
    ap.add_argument("--chunk", type=int, default=8)
    ap.add_argument("--detect-every", type=int, default=8)
    args = ap.parse_args()
    dev = pick_device(args.device)
    import torch

    print(f"device: {dev}{' (' + torch.cuda.get_device_name() + ')' if dev.type == 'cuda' else ''}; torch threads: "
          f"{torch.get_num_threads()}; frames per run: {args.frames}; detect every {args.detect_every}")
    sizes = {"720p": (1280, 720), "1080p": (1920, 1080)}
    header = f"{'input':6} {'model':8} " + " ".join(f"{s:>12}" for s in STAGES) + f" {'end-to-end':>11} {'e2e-no-enc':>11}"
    print("frames per second per stage")
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for sname in args.sizes.split(","):
            plate = Path(tmp) / f"{sname}.mp4"
            make_plate(plate, sizes[sname], args.frames)
            for m in args.models.split(","):
                r = bench(plate, m, str(dev), args.chunk, args.detect_every)
                print(f"{sname:6} {m:8} " + " ".join(f"{r[s]:12.1f}" for s in STAGES)
                      + f" {r['end_to_end']:11.1f} {r['no_encode']:11.1f}", flush=True)


if __name__ == "__main__":
    main()
