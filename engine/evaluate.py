"""``python -m engine eval``: train (or load) a model on a synthetic performer and measure it.

Measures, on a held-out clip of the performer (poses and light never seen in training), aged to a sweep
of target ages and compared with the generator's exact ground truth at those ages:

* target-age MAE and monotonicity, as judged by an independent age estimator trained on other identities;
* identity preservation: cosine similarity of dlib's 128-D face embeddings, output vs input;
* PSNR inside the face (output vs ground truth at the target age) and outside it (output vs input);
* temporal flicker: second temporal difference inside the face region, output relative to input.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from engine import synthetic
from engine.api import load_renderer, train_model
from engine.estimator import judge_crops, train_estimator
from engine.face.align import align_face
from engine.face.identity import embed_landmarks
from engine.figures import age_sweep_image, loss_curves_image, write_png
from engine.pipeline import FaceAger

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class EvalConfig:
    size: str = "final"
    performer_seed: int = 1
    judge_seeds: tuple[int, ...] = tuple(range(101, 125))  # never used to train the engine
    judge_per_seed: int = 50
    judge_steps: int = 1000
    judge_lr: float = 1e-3
    judge_crop: int = 96  # fine lines need the resolution: at 64 px the judge's own error was 5-7 years
    train_frames: int = 400
    steps: int = 4000  # the final model's delivery recipe (docs/engine.md); meant for a GPU
    batch_size: int | None = None  # None: the size's training batch (engine.model.config.TRAIN_BATCH_SIZE)
    clip_frames: int = 24
    input_age: float = 40.0
    targets: tuple[float, ...] = (20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0)
    frame_size: tuple[int, int] = (320, 320)
    seed: int = 0

    @classmethod
    def default(cls, size: str = "final") -> EvalConfig:
        if size == "tiny":
            return cls(size="tiny", judge_seeds=tuple(range(101, 113)), judge_per_seed=20, judge_steps=300,
                       judge_lr=3e-3, judge_crop=64, train_frames=200, steps=300, clip_frames=12,
                       targets=(20.0, 40.0, 60.0, 80.0))
        if size == "preview":
            return cls(size="preview", steps=900)
        return cls(size=size)

    def replace(self, **kw: object) -> EvalConfig:
        return replace(self, **kw)  # type: ignore[arg-type]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0:
        return float("nan")
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def flicker(frames: list[np.ndarray], region: tuple[int, int, int, int]) -> float:
    """Mean absolute second temporal difference in ``region``: smooth motion scores low, jitter high."""
    x0, y0, x1, y1 = region
    seq = np.stack([f[y0:y1, x0:x1].astype(np.float32) for f in frames])
    if len(seq) < 3:
        return 0.0
    return float(np.abs(seq[2:] - 2 * seq[1:-1] + seq[:-2]).mean())


class _Embedder:
    """dlib's 128-D face embedding (engine.face.identity), as a unit vector for cosine similarity."""

    def __call__(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        v = embed_landmarks(image, landmarks)
        unit: np.ndarray = v / (np.linalg.norm(v) + 1e-9)
        return unit


def _fmt(v: object) -> str:
    if isinstance(v, float):
        if math.isinf(v):
            return "inf (bit-identical)"
        return f"{v:.3f}"
    return str(v)


def run_eval(cfg: EvalConfig, *, out_dir: str | Path = "var/eval", checkpoint: str | None = None, device: str | None = None,
             progress: ProgressFn | None = None) -> dict[str, object]:
    t_start = time.monotonic()
    prog = progress or (lambda s, d, t: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    # 1. The judge: an age estimator trained on other identities.
    t = time.monotonic()
    jc, ja = judge_crops(cfg.judge_seeds, cfg.judge_per_seed, cfg.judge_crop, sample_seed=cfg.seed)
    prog("judge", 0, 1)
    judge = train_estimator(jc, ja, steps=cfg.judge_steps, lr=cfg.judge_lr, seed=cfg.seed)
    hc, ha = judge_crops(tuple(s + 1000 for s in cfg.judge_seeds[:8]), 25, cfg.judge_crop, sample_seed=cfg.seed + 1)
    judge_mae_gt = float(np.abs(judge.predict(hc) - ha).mean())
    prog("judge", 1, 1)
    timings["judge_s"] = time.monotonic() - t

    # 2. The engine's model for the performer (trained here unless a checkpoint is given).
    t = time.monotonic()
    performer_id = f"synthetic-{cfg.performer_seed}"
    history: dict[str, list[float]] = {}
    if checkpoint is None:
        refs = synthetic.reference_set(cfg.performer_seed, cfg.train_frames, size=cfg.frame_size)
        ckpt_path = out / f"{performer_id}-{cfg.size}.safetensors"
        res = train_model([(r.image, r.age) for r in refs], performer_id=performer_id, out_path=ckpt_path, config=cfg.size,
                          steps=cfg.steps, batch_size=cfg.batch_size, seed=cfg.seed, device=device, progress=prog)
        history = res.history
        checkpoint = str(ckpt_path)
    renderer, meta = load_renderer(checkpoint, performer_id=performer_id, device=device)
    timings["train_s"] = time.monotonic() - t

    # 3. A held-out clip at the input age, and its ground truth at every target age.
    t = time.monotonic()
    perf = synthetic.SyntheticPerformer(cfg.performer_seed)
    params = synthetic.clip_params(cfg.performer_seed * 7 + 1000, cfg.clip_frames, amount=0.8)
    inputs = [perf.render(cfg.input_age, p, cfg.frame_size, background_variant=3) for p in params]
    embed = _Embedder()
    in_emb = [embed(r.image, r.landmarks) for r in inputs]
    other = synthetic.SyntheticPerformer(cfg.performer_seed + 500).render(cfg.input_age, params[0], cfg.frame_size)
    other_identity_cos = float(in_emb[0] @ embed(other.image, other.landmarks))
    per_target: list[dict[str, float]] = []
    sweep_row: list[np.ndarray] = []
    gt_row: list[np.ndarray] = []
    in_region = None
    for k, target in enumerate(cfg.targets):
        ager = FaceAger(renderer, detect_every=5, fps=24.0)
        outs = ager.process_batch([r.image for r in inputs], target)
        gts = [perf.render(target, p, cfg.frame_size, background_variant=3) for p in params]
        out_frames = [o.frame for o in outs]
        faces = sum(o.had_face for o in outs)
        judged = judge.predict(np.stack([align_face(o, r.landmarks, cfg.judge_crop).crop for o, r in zip(out_frames, inputs)]))
        judged_gt = judge.predict(np.stack([align_face(g.image, g.landmarks, cfg.judge_crop).crop for g in gts]))
        ins, outs_px = [], []
        inside_out, inside_gt, inside_in = [], [], []
        x0 = y0 = 10 ** 9
        x1 = y1 = 0
        for o, r, g in zip(outs, inputs, gts):
            if o.composite is None:
                continue
            alpha = o.composite.full_alpha()
            outside = alpha == 0
            ins.append(r.image[outside])
            outs_px.append(o.frame[outside])
            inside = alpha >= 0.5
            inside_out.append(o.frame[inside])
            inside_gt.append(g.image[inside])
            inside_in.append(r.image[inside])
            bx0, by0, bx1, by1 = o.composite.bbox
            x0, y0, x1, y1 = min(x0, bx0), min(y0, by0), max(x1, bx1), max(y1, by1)
        region = (x0, y0, x1, y1)
        in_region = in_region or region
        cos = [float(embed(o, r.landmarks) @ e) for o, r, e in zip(out_frames, inputs, in_emb)]
        per_target.append({
            "target_age": target,
            "frames": len(outs), "frames_with_face": faces,
            "judged_age_mean": float(judged.mean()), "judged_age_std": float(judged.std()),
            "judged_age_of_ground_truth": float(judged_gt.mean()),
            "abs_error_mean": float(np.abs(judged - target).mean()),
            "identity_cos_mean": float(np.mean(cos)),
            "psnr_inside_db": psnr(np.concatenate(inside_out), np.concatenate(inside_gt)) if inside_out else float("nan"),
            "psnr_inside_no_change_db": psnr(np.concatenate(inside_in), np.concatenate(inside_gt)) if inside_in else float("nan"),
            "psnr_outside_db": psnr(np.concatenate(outs_px), np.concatenate(ins)) if ins else float("nan"),
            "flicker_output": flicker(out_frames, region),
            "flicker_input": flicker([r.image for r in inputs], region),
        })
        mid = len(inputs) // 2
        if k == 0:
            sweep_row.append(align_face(inputs[mid].image, inputs[mid].landmarks, 128).crop)
            gt_row.append(np.full((128, 128, 3), 255, np.uint8))
        sweep_row.append(align_face(out_frames[mid], inputs[mid].landmarks, 128).crop)
        gt_row.append(align_face(gts[mid].image, gts[mid].landmarks, 128).crop)
        prog("eval", k + 1, len(cfg.targets))
    timings["age_and_measure_s"] = time.monotonic() - t

    targets = np.array([p["target_age"] for p in per_target], np.float64)
    judged_means = np.array([p["judged_age_mean"] for p in per_target], np.float64)
    steps_up = np.diff(judged_means) > 0
    rank_t = np.argsort(np.argsort(targets))
    rank_j = np.argsort(np.argsort(judged_means))
    spearman = float(np.corrcoef(rank_t, rank_j)[0, 1]) if len(targets) > 1 else float("nan")
    flick_ratio = float(np.mean([p["flicker_output"] / max(p["flicker_input"], 1e-9) for p in per_target]))
    metrics: dict[str, float] = {
        "target_age_mae_years": float(np.mean([p["abs_error_mean"] for p in per_target])),
        "judge_mae_on_ground_truth_years": judge_mae_gt,
        "monotonic_fraction": float(steps_up.mean()) if len(steps_up) else float("nan"),
        "spearman_target_vs_judged": spearman,
        "identity_cos_output_vs_input": float(np.mean([p["identity_cos_mean"] for p in per_target])),
        "identity_cos_other_person": other_identity_cos,
        "psnr_inside_vs_ground_truth_db": float(np.mean([p["psnr_inside_db"] for p in per_target])),
        "psnr_inside_no_change_db": float(np.mean([p["psnr_inside_no_change_db"] for p in per_target])),
        "psnr_outside_vs_input_db": float(min(p["psnr_outside_db"] for p in per_target)),  # worst target
        "flicker_ratio_output_vs_input": flick_ratio,
        "faces_found_fraction": float(np.mean([p["frames_with_face"] / p["frames"] for p in per_target])),
    }
    summary: dict[str, object] = {"model": cfg.size, **metrics}
    targets_met = {
        "target_age_mae_le_5": metrics["target_age_mae_years"] <= 5.0,
        "psnr_outside_ge_45": metrics["psnr_outside_vs_input_db"] >= 45.0,
        "flicker_le_1.5x": metrics["flicker_ratio_output_vs_input"] <= 1.5,
    }
    report: dict[str, object] = {
        "config": asdict(cfg), "checkpoint": checkpoint, "checkpoint_steps": meta.steps,
        "dataset_manifest_sha256": meta.dataset_manifest_sha256, "summary": summary, "targets_met": targets_met,
        "per_target": per_target, "timings": {**timings, "total_s": time.monotonic() - t_start}, "loss_history": history,
    }
    _write_figures(out, sweep_row, gt_row, cfg.targets, history)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=lambda v: str(v)).replace("Infinity", '"inf"'))
    return report


def _write_figures(out: Path, sweep: list[np.ndarray], gt: list[np.ndarray], targets: tuple[float, ...],
                   history: dict[str, list[float]]) -> None:
    """age_sweep.png: input then outputs per target (top), ground truth (bottom). loss_curves.png."""
    write_png(out / "age_sweep.png", age_sweep_image([sweep, gt], ["input", *(f"{t:g}" for t in targets)]))
    curves = loss_curves_image(history)
    if curves is not None:
        write_png(out / "loss_curves.png", curves)


def format_table(report: dict[str, object]) -> str:
    s = report["summary"]
    assert isinstance(s, dict)
    rows = [
        ("target-age MAE (years, independent judge)", s["target_age_mae_years"], "<= 5"),
        ("  judge's own MAE on ground truth (years)", s["judge_mae_on_ground_truth_years"], ""),
        ("monotonic steps (fraction of sweep)", s["monotonic_fraction"], "1.0"),
        ("Spearman(target, judged age)", s["spearman_target_vs_judged"], ""),
        ("identity cos(output, input), dlib 128-D", s["identity_cos_output_vs_input"], ""),
        ("  cos(input, another identity)", s["identity_cos_other_person"], ""),
        ("PSNR inside face vs ground truth (dB)", s["psnr_inside_vs_ground_truth_db"], ""),
        ("  PSNR inside, input left unchanged (dB)", s["psnr_inside_no_change_db"], ""),
        ("PSNR outside face vs input (dB, worst)", s["psnr_outside_vs_input_db"], ">= 45"),
        ("flicker ratio output / input", s["flicker_ratio_output_vs_input"], "<= 1.5"),
        ("faces found (fraction of frames)", s["faces_found_fraction"], ""),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'metric'.ljust(width)}  {'value':>20}  target", "-" * (width + 32)]
    lines += [f"{name.ljust(width)}  {_fmt(v):>20}  {tgt}" for name, v, tgt in rows]
    per = report["per_target"]
    assert isinstance(per, list)
    lines.append("")
    lines.append("target  judged(mean±sd)  judged GT  |err|   id-cos  PSNR-in  PSNR-in(no change)  flicker out/in")
    for p in per:
        lines.append(f"{p['target_age']:6.0f}  {p['judged_age_mean']:7.1f}±{p['judged_age_std']:<5.1f}  {p['judged_age_of_ground_truth']:9.1f}"
                     f"  {p['abs_error_mean']:5.1f}  {p['identity_cos_mean']:7.3f}  {p['psnr_inside_db']:7.2f}"
                     f"  {p['psnr_inside_no_change_db']:18.2f}  {p['flicker_output']:.2f}/{p['flicker_input']:.2f}")
    t = report["timings"]
    assert isinstance(t, dict)
    lines.append(f"time: {t['total_s']:.0f}s (judge {t['judge_s']:.0f}s, train {t['train_s']:.0f}s, "
                 f"age+measure {t['age_and_measure_s']:.0f}s)")
    return "\n".join(lines)
