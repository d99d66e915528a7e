"""Command line: ``python -m engine train|age|preview|eval|synth``.

User errors (bad media, no face, wrong checkpoint) print one line, ``error: ...``, and exit with status 2;
no traceback reaches the user.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import EngineError

if TYPE_CHECKING:
    from engine.api import CropSet, Reference


class TqdmProgress:
    """A progress callback that keeps one tqdm bar per stage."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._bars: dict[str, object] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = tqdm(total=total, desc=stage, unit="it", leave=True, dynamic_ncols=True)
        bar.total = total  # type: ignore[attr-defined]
        bar.n = done  # type: ignore[attr-defined]
        bar.refresh()  # type: ignore[attr-defined]

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()  # type: ignore[attr-defined]
        self._bars.clear()


def _parse_ref(text: str) -> Reference:
    """``PATH@AGE`` or ``PATH@AGE@START:STOP``."""
    from engine.api import Reference
    from engine.media import FrameRange

    parts = text.split("@")
    if len(parts) not in (2, 3):
        raise EngineError(f"reference {text!r} must be PATH@AGE or PATH@AGE@START:STOP")
    try:
        age = float(parts[1])
    except ValueError:
        raise EngineError(f"reference {text!r}: age {parts[1]!r} is not a number") from None
    return Reference(path=parts[0], age=age, frame_range=FrameRange.parse(parts[2]) if len(parts) == 3 else None)


def cmd_train(args: argparse.Namespace, progress: TqdmProgress) -> int:
    from engine.api import crops_from_frames, train_model

    data: CropSet | list[Reference]
    if args.synthetic is not None:
        from engine import synthetic

        frames = synthetic.reference_set(args.synthetic, args.synthetic_frames)
        from engine.model.config import preset

        cfg = preset(args.size)
        data = crops_from_frames(((r.image, r.age, f"synthetic{args.synthetic}#{i}") for i, r in enumerate(frames)),
                                 cfg.crop, progress=progress, total=len(frames))
        performer = args.performer_id or f"synthetic-{args.synthetic}"
    else:
        refs = [_parse_ref(r) for r in args.ref]
        if args.manifest:
            items = json.loads(Path(args.manifest).read_text())
            refs += [_parse_ref(f"{i['path']}@{i['age']}" + (f"@{i['frames']}" if i.get("frames") else "")) for i in items]
        if not refs:
            raise EngineError("give reference footage with --ref PATH@AGE (repeatable), --manifest, or --synthetic SEED")
        if not args.performer_id:
            raise EngineError("--performer-id is required when training on real footage")
        data, performer = refs, args.performer_id
    out = train_model(data, performer_id=performer, out_path=args.out, config=args.size, steps=args.steps,
                      batch_size=args.batch_size, seed=args.seed, device=args.device, progress=progress)
    progress.close()
    print(json.dumps({"checkpoint": str(out.checkpoint), "performer_id": out.meta.performer_id, "model": out.meta.config.name,
                      "steps": out.meta.steps, "faces_used": out.faces_used, "frames_without_face": out.frames_without_face,
                      "dataset_manifest_sha256": out.meta.dataset_manifest_sha256, "seconds": round(out.seconds, 1),
                      "reference_balance": out.balance.summary() if out.balance is not None else None}, indent=2))
    for warning in out.balance.warnings if out.balance is not None else []:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_age(args: argparse.Namespace, progress: TqdmProgress) -> int:
    from engine.api import age_video
    from engine.media import FrameRange

    res = age_video(args.src, args.dst, args.checkpoint, args.target_age, performer_id=args.performer_id,
                    frame_range=FrameRange.parse(args.frames), progress=progress, chunk_frames=args.chunk,
                    device=args.device, detect_every=args.detect_every, codec=args.codec,
                    first_frame=args.first_frame, plate_detail=not args.no_plate_detail)
    progress.close()
    print(json.dumps(res.to_dict(), indent=2))
    return 0


def cmd_preview(args: argparse.Namespace, progress: TqdmProgress) -> int:
    from engine.preview import run_preview

    source: int | str = int(args.source) if args.source.isdigit() else args.source
    stats = run_preview(source, args.checkpoint, args.target_age, out=args.out, max_frames=args.max_frames,
                        performer_id=args.performer_id, device=args.device, detect_every=args.detect_every,
                        progress=progress)
    progress.close()
    print(json.dumps(stats, indent=2))
    return 0


def cmd_eval(args: argparse.Namespace, progress: TqdmProgress) -> int:
    from engine.evaluate import EvalConfig, format_table, run_eval

    cfg = EvalConfig.default(args.size)
    overrides = {k: v for k, v in (("steps", args.steps), ("batch_size", args.batch_size), ("train_frames", args.train_frames),
                                   ("clip_frames", args.clip_frames), ("photos", args.photos)) if v is not None}
    cfg = cfg.replace(**overrides, seed=args.seed)
    report = run_eval(cfg, out_dir=args.out, checkpoint=args.checkpoint, device=args.device, progress=progress)
    progress.close()
    print(format_table(report))
    print(f"report: {Path(args.out) / 'report.json'}")
    return 0


def cmd_synth(args: argparse.Namespace, progress: TqdmProgress) -> int:
    from fractions import Fraction

    from engine import synthetic
    from engine.media import FrameWriter

    perf = synthetic.SyntheticPerformer(args.seed)
    params = synthetic.clip_params(args.seed, args.frames, fps=args.fps)
    w, h = args.width, args.height
    with FrameWriter(args.out, width=w, height=h, fps=Fraction(args.fps).limit_denominator(1001)) as writer:
        for i, p in enumerate(params):
            writer.write(perf.render(args.age, p, (w, h)).image)
            progress("render", i + 1, len(params))
    progress.close()
    print(json.dumps({"output": args.out, "frames": args.frames, "age": args.age, "seed": args.seed}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from engine.media import VIDEO_CODECS

    p = argparse.ArgumentParser(prog="python -m engine", description="Per-performer age engine: train, age, preview, eval.")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a per-performer age model")
    t.add_argument("--ref", action="append", default=[], help="reference footage PATH@AGE[@START:STOP] (repeatable)")
    t.add_argument("--manifest", help="JSON list of {path, age, frames?}")
    t.add_argument("--synthetic", type=int, help="train on a synthetic performer with this seed (demo)")
    t.add_argument("--synthetic-frames", type=int, default=400)
    t.add_argument("--performer-id")
    t.add_argument("--size", default="preview", help="tiny | preview | final")
    t.add_argument("--steps", type=int, default=1500)
    t.add_argument("--batch-size", type=int, help="training batch (default: the size's own, 64 for final)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device")
    t.add_argument("--out", required=True, help="checkpoint path (.safetensors)")
    t.set_defaults(func=cmd_train)

    a = sub.add_parser("age", help="age the performer in a video, PNG or EXR sequence")
    a.add_argument("src", help=".mp4/.mov, a folder of frames, or a pattern like plates/shot.####.exr")
    a.add_argument("dst", help=".mp4/.mov, a folder, or a pattern like out/shot.####.exr or out/shot.%%04d.png")
    a.add_argument("--codec", default="h264", choices=VIDEO_CODECS,
                   help="for a video output: h264 (review copy), h264-lossless (RGB, bit-exact outside the face), "
                        "prores (ProRes 4444, .mov)")
    a.add_argument("--first-frame", type=int,
                   help="number of a sequence output's first frame (default: the source sequence's own numbers; "
                        "0 for a video source)")
    a.add_argument("--checkpoint", required=True)
    a.add_argument("--target-age", type=float, required=True)
    a.add_argument("--performer-id", help="refuse the checkpoint unless it belongs to this performer")
    a.add_argument("--frames", help="frame range START:STOP, positions from 0 (in shot.1001.exr onwards, 0 is 1001)")
    a.add_argument("--no-plate-detail", action="store_true",
                   help="do not carry the plate's grain and pores into the face (to de-age away fine lines)")
    a.add_argument("--chunk", type=int, default=16)
    a.add_argument("--detect-every", type=int, default=5)
    a.add_argument("--device")
    a.set_defaults(func=cmd_age)

    v = sub.add_parser("preview", help="live preview: side-by-side as filmed | aged, with latency")
    v.add_argument("--source", default="0", help="camera index or video file")
    v.add_argument("--checkpoint", required=True)
    v.add_argument("--target-age", type=float, required=True)
    v.add_argument("--performer-id")
    v.add_argument("--out", help="write the side-by-side stream to this .mp4")
    v.add_argument("--max-frames", type=int)
    v.add_argument("--detect-every", type=int, default=8)
    v.add_argument("--device")
    v.set_defaults(func=cmd_preview)

    e = sub.add_parser("eval", help="train (or load) a model on a synthetic performer and measure it, by a synthetic "
                                    "and a real-face judge, on its held-out clip and on real photographs")
    e.add_argument("--size", default="final", help="model size to evaluate (final | preview | tiny)")
    e.add_argument("--checkpoint", help="evaluate this checkpoint instead of training one (synthetic performer 1)")
    e.add_argument("--steps", type=int, help="decoder training steps (final: 4000; --steps 400 for a quick CPU check)")
    e.add_argument("--batch-size", type=int, help="training batch (default: the size's own, 64 for final)")
    e.add_argument("--train-frames", type=int)
    e.add_argument("--clip-frames", type=int)
    e.add_argument("--photos", help="a folder of real photographs to age as well (default: tests/data/faces in a "
                                    "checkout; scikit-image's astronaut always)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--device")
    e.add_argument("--out", default="var/eval")
    e.set_defaults(func=cmd_eval)

    s = sub.add_parser("synth", help="render a synthetic performer clip (for demos and tests)")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--age", type=float, default=35)
    s.add_argument("--frames", type=int, default=48)
    s.add_argument("--fps", type=float, default=24)
    s.add_argument("--width", type=int, default=640)
    s.add_argument("--height", type=int, default=360)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_synth)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    progress = TqdmProgress(enabled=not args.quiet)
    try:
        return int(args.func(args, progress))
    except EngineError as exc:
        progress.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        progress.close()
        print("error: interrupted", file=sys.stderr)
        return 130
