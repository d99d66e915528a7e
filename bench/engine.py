"""Benchmark of the engine: frames per second per stage and end to end.

    python bench/engine.py                 # 720p and 1080p, preview and final models, ~1-2 minutes on CPU
    python bench/engine.py --frames 48 --device cuda
    python bench/engine.py --compare-detail    # each model also without the plate's detail (rows "-nd")

A synthetic performer clip is encoded to H.264 at each resolution, then aged by ``engine.api.age_video``
itself (decode -> detect/track -> align -> model -> composite -> encode), with an untrained checkpoint:
speed does not depend on what the weights are. Decoding runs ahead and encoding behind on their own
threads, so a stage's figure is the rate at which the main loop waited for it (decode, encode) or ran it
(the rest); end to end is the plate's frame count over the whole call's wall time.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import synthetic
from engine.api import AgeResult, age_video
from engine.device import pick_device
from engine.media import FrameRange, FrameWriter
from engine.model.checkpoint import CheckpointMeta, save_checkpoint
from engine.model.config import preset
from engine.model.net import AgeModel

STAGES = ("decode", "detect_track", "align", "model", "composite", "encode")


def make_plate(path: Path, size: tuple[int, int], frames: int) -> None:
    perf = synthetic.SyntheticPerformer(1)
    params = synthetic.clip_params(1, frames)
    # Render the head at 512 px and place it in the big frame: rendering at full 1080p is slow and is
    # not what is being measured.
    with FrameWriter(path, width=size[0], height=size[1], fps=Fraction(24)) as w:
        for p in params:
            w.write(perf.render(40, p, size).image)


def bench(plate: Path, model_name: str, device: str | None, chunk: int, detect_every: int,
          plate_detail: bool = True) -> dict[str, float]:
    import torch

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = save_checkpoint(Path(tmp) / "untrained.safetensors", AgeModel(preset(model_name)),
                               CheckpointMeta(performer_id="bench", config=preset(model_name),
                                              dataset_manifest_sha256="0" * 64, steps=0, age_range=(20.0, 80.0)))

        def run(frame_range: FrameRange | None) -> AgeResult:
            return age_video(plate, Path(tmp) / "out.mp4", ckpt, 70.0, performer_id="bench", frame_range=frame_range,
                             chunk_frames=chunk, device=device, detect_every=detect_every, plate_detail=plate_detail)

        # One untimed chunk first: loading the landmark model, CUDA context set-up, kernel selection and
        # allocator growth are one-off costs that would otherwise dominate a short run.
        run(FrameRange(0, chunk))
        res = run(None)
    n = res.frames_total
    out = {s: 1000.0 / ms if ms > 0 else float("inf") for s, ms in res.stage_ms_per_frame.items()}
    out["end_to_end"] = n / res.seconds
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--sizes", default="720p,1080p")
    ap.add_argument("--models", default="preview,final")
    ap.add_argument("--device", default=None)
    ap.add_argument("--chunk", type=int, default=8)
    ap.add_argument("--detect-every", type=int, default=8)
    ap.add_argument("--compare-detail", action="store_true",
                    help="also run each model without the plate's detail in the composite (what it costs)")
    args = ap.parse_args()
    dev = pick_device(args.device)
    import torch

    print(f"device: {dev}{' (' + torch.cuda.get_device_name() + ')' if dev.type == 'cuda' else ''}; torch threads: "
          f"{torch.get_num_threads()}; frames per run: {args.frames}; detect every {args.detect_every}")
    sizes = {"720p": (1280, 720), "1080p": (1920, 1080)}
    header = f"{'input':6} {'model':8} " + " ".join(f"{s:>12}" for s in STAGES) + f" {'end-to-end':>11}"
    print("frames per second per stage")
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for sname in args.sizes.split(","):
            plate = Path(tmp) / f"{sname}.mp4"
            make_plate(plate, sizes[sname], args.frames)
            for m in args.models.split(","):
                for detail in (True, False) if args.compare_detail else (True,):
                    r = bench(plate, m, str(dev), args.chunk, args.detect_every, plate_detail=detail)
                    label = m if detail else f"{m}-nd"
                    print(f"{sname:6} {label:8} " + " ".join(f"{r.get(s, float('nan')):12.1f}" for s in STAGES)
                          + f" {r['end_to_end']:11.1f}", flush=True)


if __name__ == "__main__":
    main()
