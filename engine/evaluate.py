"""``python -m engine eval``: train (or load) a model on a synthetic performer and measure it.

Measures, on a held-out clip of the performer (poses and light never seen in training), aged to a sweep
of target ages and compared with the generator's exact ground truth at those ages:

* target-age MAE and monotonicity, by two judges side by side: an age estimator trained on other synthetic
  identities (engine/estimator.py), and the real-face judge (engine/real_judge.py), trained on photographs of
  real people, which also reads the generator's ground truth (does the synthetic family's age read as age?);
* identity preservation: cosine similarity of dlib's 128-D face embeddings, output vs input;
* PSNR inside the face (output vs ground truth at the target age) and outside it (output vs input);
* detail kept inside the face and the seam at the mask's edge (engine/quality.py);
* temporal flicker: second temporal difference inside the face region, output relative to input.

Then it ages real photographs (scikit-image's astronaut, and the photographs in ``photos``) to a sweep of
targets with the same model: the real-face judge's age per target, its monotonicity and the years it moves
between the youngest and oldest target, identity, sharpness and seam; and draws them in real_faces.png.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from engine import real_judge, synthetic
from engine.api import load_renderer, train_model
from engine.estimator import judge_crops, train_estimator
from engine.face.align import align_face
from engine.face.identity import embed_faces, embed_landmarks
from engine.figures import age_sweep_image, loss_curves_image, write_png
from engine.media import read_image
from engine.model.infer import AgeRenderer
from engine.pipeline import FaceAger
from engine.quality import flicker, psnr, seam_ratio, sharpness_ratio

# Real photographs the repository carries for its tests (tests/data/faces, with their provenance); the
# evaluation reads them when it runs from a checkout and no other folder is given.
DEFAULT_PHOTOS = Path(__file__).resolve().parents[1] / "tests" / "data" / "faces"

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
    real_targets: tuple[float, ...] = (25.0, 40.0, 55.0, 70.0)
    photos: str | None = None  # a folder of real photographs (JPEG/PNG); None: DEFAULT_PHOTOS when present

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


def spearman(xs: np.ndarray, ys: np.ndarray) -> float:
    if len(xs) < 2:
        return float("nan")
    rx, ry = np.argsort(np.argsort(xs)), np.argsort(np.argsort(ys))
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def _mean(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return float(np.mean(kept)) if kept else float("nan")


def real_photographs(folder: str | Path | None) -> list[tuple[str, np.ndarray]]:
    """scikit-image's astronaut, and every JPEG or PNG in ``folder`` (DEFAULT_PHOTOS when None and present)."""
    import skimage.data

    astronaut = skimage.data.astronaut()  # type: ignore[no-untyped-call]
    photos: list[tuple[str, np.ndarray]] = [("astronaut", np.ascontiguousarray(astronaut))]
    where = Path(folder) if folder is not None else (DEFAULT_PHOTOS if DEFAULT_PHOTOS.is_dir() else None)
    if where is not None:
        for path in sorted(where.iterdir()):
            if path.suffix.lower() in {".jpg", ".jpeg", ".png"}:
                photos.append((path.stem, read_image(path)))
    return photos


def _judge_ages(images: list[np.ndarray], boxes: list[tuple[int, int, int, int] | None]) -> list[float]:
    ages = []
    for image, box in zip(images, boxes):
        age = real_judge.judged_age(image, box) if box is not None else None
        ages.append(float("nan") if age is None else age)
    return ages


@dataclass
class RealPhoto:
    """One real photograph aged to every real target, as the real-face judge and the measures saw it."""

    photo: str
    judged_input_age: float
    per_target: list[dict[str, float]]
    spearman_target_vs_judged: float
    judged_years_moved: float  # judged age at the oldest target minus at the youngest
    identity_cos: float
    sharpness_ratio: float
    seam_ratio: float


def age_real_photographs(renderer: AgeRenderer, cfg: EvalConfig, embed: UnitEmbedder,
                 prog: ProgressFn) -> tuple[list[RealPhoto], list[str], list[list[np.ndarray]], list[str]]:
    """Age each real photograph to every real target: the real judge's ages, identity, sharpness and seam.
    Returns the results, the photographs in which no face was found, and the montage's rows and labels."""
    rows: list[RealPhoto] = []
    no_face: list[str] = []
    montage: list[list[np.ndarray]] = []
    names: list[str] = []
    photos = real_photographs(cfg.photos)
    for n, (name, image) in enumerate(photos):
        box = real_judge.face_box(image)
        emb_in = embed_faces(image)
        ager = FaceAger(renderer, detect_every=1, smooth=False)
        first = ager.process(image, cfg.real_targets[0])
        if box is None or first.aligned is None or not emb_in:
            no_face.append(name)
            continue
        landmarks = first.aligned.landmarks
        unit_in = emb_in[0] / (np.linalg.norm(emb_in[0]) + 1e-9)
        per: list[dict[str, float]] = []
        cells = [align_face(image, landmarks, 128).crop]
        for target in cfg.real_targets:
            ager.reset()
            outcome = ager.process(image, target)
            if outcome.composite is None:
                per.append({"target_age": target, "judged_age": float("nan")})
                cells.append(np.full((128, 128, 3), 255, np.uint8))
                continue
            alpha = outcome.composite.full_alpha()
            judged = real_judge.judged_age(outcome.frame, box)
            per.append({"target_age": target, "judged_age": float("nan") if judged is None else judged,
                        "identity_cos": float(embed(outcome.frame, landmarks) @ unit_in),
                        "sharpness_ratio": sharpness_ratio(outcome.frame, image, alpha),
                        "seam_ratio": seam_ratio(outcome.frame, image, alpha)})
            cells.append(align_face(outcome.frame, landmarks, 128).crop)
        judged_ages = np.array([p["judged_age"] for p in per], np.float64)
        input_age = real_judge.judged_age(image, box)
        rows.append(RealPhoto(
            photo=name, judged_input_age=float("nan") if input_age is None else input_age, per_target=per,
            spearman_target_vs_judged=spearman(np.array(cfg.real_targets), judged_ages),
            judged_years_moved=float(judged_ages[-1] - judged_ages[0]),
            identity_cos=_mean([p.get("identity_cos", float("nan")) for p in per]),
            sharpness_ratio=_mean([p.get("sharpness_ratio", float("nan")) for p in per]),
            seam_ratio=_mean([p.get("seam_ratio", float("nan")) for p in per])))
        montage.append(cells)
        names.append(name[:12])
        prog("real photographs", n + 1, len(photos))
    return rows, no_face, montage, names


class UnitEmbedder:
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
    # The real judge reads every output and ground-truth frame where its own detector finds the input's face.
    judge_boxes = [real_judge.face_box(r.image) for r in inputs]
    embed = UnitEmbedder()
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
        real_out = _judge_ages(out_frames, judge_boxes)
        real_gt = _judge_ages([g.image for g in gts], judge_boxes)
        sharp, seam = [], []
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
            sharp.append(sharpness_ratio(o.frame, r.image, alpha))
            seam.append(seam_ratio(o.frame, r.image, alpha))
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
            "real_judged_age_mean": _mean(real_out),
            "real_judged_age_of_ground_truth": _mean(real_gt),
            "real_abs_error_mean": _mean([abs(a - target) for a in real_out]),
            "real_gt_abs_error_mean": _mean([abs(a - target) for a in real_gt]),
            "sharpness_ratio": _mean(sharp), "seam_ratio": _mean(seam),
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

    t = time.monotonic()
    real_rows, no_face, montage, montage_names = age_real_photographs(renderer, cfg, embed, prog)
    timings["real_photographs_s"] = time.monotonic() - t

    targets = np.array([p["target_age"] for p in per_target], np.float64)
    judged_means = np.array([p["judged_age_mean"] for p in per_target], np.float64)
    real_means = np.array([p["real_judged_age_mean"] for p in per_target], np.float64)
    real_gt_means = np.array([p["real_judged_age_of_ground_truth"] for p in per_target], np.float64)
    steps_up = np.diff(judged_means) > 0
    flick_ratio = float(np.mean([p["flicker_output"] / max(p["flicker_input"], 1e-9) for p in per_target]))
    metrics: dict[str, float] = {
        "target_age_mae_years": float(np.mean([p["abs_error_mean"] for p in per_target])),
        "judge_mae_on_ground_truth_years": judge_mae_gt,
        "monotonic_fraction": float(steps_up.mean()) if len(steps_up) else float("nan"),
        "spearman_target_vs_judged": spearman(targets, judged_means),
        "real_judge_target_age_mae_years": _mean([p["real_abs_error_mean"] for p in per_target]),
        "real_judge_spearman_target_vs_judged": spearman(targets, real_means),
        "real_judge_ground_truth_mae_years": _mean([p["real_gt_abs_error_mean"] for p in per_target]),
        "real_judge_ground_truth_spearman": spearman(targets, real_gt_means),
        "sharpness_ratio_inside_face": _mean([p["sharpness_ratio"] for p in per_target]),
        "seam_ratio_at_mask_edge": _mean([p["seam_ratio"] for p in per_target]),
        "real_photographs": float(len(real_rows)),
        "real_photos_spearman_mean": _mean([r.spearman_target_vs_judged for r in real_rows]),
        "real_photos_judged_years_moved_min": min((r.judged_years_moved for r in real_rows), default=float("nan")),
        "real_photos_identity_cos": _mean([r.identity_cos for r in real_rows]),
        "real_photos_sharpness_ratio": _mean([r.sharpness_ratio for r in real_rows]),
        "real_photos_seam_ratio": _mean([r.seam_ratio for r in real_rows]),
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
        "real_judge_target_age_mae_le_5": metrics["real_judge_target_age_mae_years"] <= 5.0,
        "real_photos_monotonic": metrics["real_photos_spearman_mean"] >= 0.999,
        "real_photos_move_ge_15_years": metrics["real_photos_judged_years_moved_min"] >= 15.0,
        "real_photos_sharpness_0.9_to_1.1": 0.9 <= metrics["real_photos_sharpness_ratio"] <= 1.1,
        "real_photos_identity_cos_ge_0.9": metrics["real_photos_identity_cos"] >= 0.9,
        "psnr_outside_ge_45": metrics["psnr_outside_vs_input_db"] >= 45.0,
        "flicker_le_1.5x": metrics["flicker_ratio_output_vs_input"] <= 1.5,
    }
    report: dict[str, object] = {
        "config": asdict(cfg), "checkpoint": checkpoint, "checkpoint_steps": meta.steps,
        "dataset_manifest_sha256": meta.dataset_manifest_sha256, "summary": summary, "targets_met": targets_met,
        "per_target": per_target, "real_photographs": [asdict(r) for r in real_rows],
        "real_photographs_without_a_face": no_face, "timings": {**timings, "total_s": time.monotonic() - t_start}, "loss_history": history,
    }
    _write_figures(out, sweep_row, gt_row, cfg.targets, history)
    if montage:
        write_png(out / "real_faces.png", age_sweep_image(montage, ["input", *(f"{t:g}" for t in cfg.real_targets)],
                                                          row_labels=montage_names))
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
        ("target-age MAE (years), synthetic judge", s["target_age_mae_years"], "<= 5"),
        ("  synthetic judge's own MAE on ground truth", s["judge_mae_on_ground_truth_years"], ""),
        ("target-age MAE (years), real-face judge", s["real_judge_target_age_mae_years"], "<= 5"),
        ("  real-face judge's MAE on ground truth", s["real_judge_ground_truth_mae_years"], "<= 8"),
        ("monotonic steps (fraction of sweep)", s["monotonic_fraction"], "1.0"),
        ("Spearman(target, judged), synthetic judge", s["spearman_target_vs_judged"], ""),
        ("Spearman(target, judged), real-face judge", s["real_judge_spearman_target_vs_judged"], ""),
        ("  real-face judge on ground truth", s["real_judge_ground_truth_spearman"], ">= 0.9"),
        ("identity cos(output, input), dlib 128-D", s["identity_cos_output_vs_input"], ""),
        ("  cos(input, another identity)", s["identity_cos_other_person"], ""),
        ("PSNR inside face vs ground truth (dB)", s["psnr_inside_vs_ground_truth_db"], ""),
        ("  PSNR inside, input left unchanged (dB)", s["psnr_inside_no_change_db"], ""),
        ("PSNR outside face vs input (dB, worst)", s["psnr_outside_vs_input_db"], ">= 45"),
        ("sharpness ratio inside the face", s["sharpness_ratio_inside_face"], "0.9-1.1"),
        ("seam ratio at the mask's edge", s["seam_ratio_at_mask_edge"], "~1"),
        ("flicker ratio output / input", s["flicker_ratio_output_vs_input"], "<= 1.5"),
        ("faces found (fraction of frames)", s["faces_found_fraction"], ""),
    ]
    width = max(len(r[0]) for r in rows)
    lines = ["Synthetic performer (held-out clip, ground truth from the generator)",
             f"{'metric'.ljust(width)}  {'value':>20}  target", "-" * (width + 32)]
    lines += [f"{name.ljust(width)}  {_fmt(v):>20}  {tgt}" for name, v, tgt in rows]
    per = report["per_target"]
    assert isinstance(per, list)
    lines.append("")
    lines.append("        --- synthetic judge ---  --- real-face judge ---")
    lines.append("target  output(mean±sd)  truth  output  truth   id-cos  PSNR-in  sharp  seam  flicker out/in")
    for p in per:
        lines.append(f"{p['target_age']:6.0f}  {p['judged_age_mean']:7.1f}±{p['judged_age_std']:<5.1f}"
                     f"  {p['judged_age_of_ground_truth']:5.1f}  {p['real_judged_age_mean']:6.1f}"
                     f"  {p['real_judged_age_of_ground_truth']:5.1f}  {p['identity_cos_mean']:7.3f}"
                     f"  {p['psnr_inside_db']:7.2f}  {p['sharpness_ratio']:5.2f}  {p['seam_ratio']:4.2f}"
                     f"  {p['flicker_output']:.2f}/{p['flicker_input']:.2f}")
    real = report.get("real_photographs")
    if isinstance(real, list) and real:
        cfg = report["config"]
        assert isinstance(cfg, dict)
        targets = [f"{t:g}" for t in cfg["real_targets"]]
        lines.append("")
        lines.append("Real photographs, judged by the real-face judge (targets: monotonic, moving >= 15 years; "
                     "identity cos >= 0.9; sharpness 0.9-1.1)")
        lines.append(f"{'photo':<10} {'input':>5}  " + "  ".join(f"{t:>5}" for t in targets)
                     + "  Spearman  moved  id-cos  sharp  seam")
        for r in real:
            ages = "  ".join(f"{p['judged_age']:5.0f}" for p in r["per_target"])
            lines.append(f"{r['photo']:<10} {r['judged_input_age']:5.0f}  {ages}  {r['spearman_target_vs_judged']:8.2f}"
                         f"  {r['judged_years_moved']:5.0f}  {r['identity_cos']:6.3f}  {r['sharpness_ratio']:5.2f}"
                         f"  {r['seam_ratio']:4.2f}")
    missing = report.get("real_photographs_without_a_face")
    if isinstance(missing, list) and missing:
        lines.append(f"no face found in: {', '.join(str(m) for m in missing)}")
    t = report["timings"]
    assert isinstance(t, dict)
    lines.append(f"time: {t['total_s']:.0f}s (judge {t['judge_s']:.0f}s, train {t['train_s']:.0f}s, "
                 f"age+measure {t['age_and_measure_s']:.0f}s, real photographs {t['real_photographs_s']:.0f}s)")
    return "\n".join(lines)
