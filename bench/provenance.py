"""Provenance throughput and memory: C2PA signing and verification vs plain SHA-256 of the same file.

    python bench/provenance.py [--mp4-mb 100] [--png 3840x2160] [--repeat 3] [--keep DIR]

For a ~100 MB H.264 MP4 and a 4K PNG it prints, per operation, the median time of --repeat runs, the throughput
in MB/s and the peak memory the operation added to its process. Signatures are timestamped by the platform's
own loopback timestamp authority, as by default in production. Every measurement runs in a fresh child
process: peak memory is VmHWM (the kernel's high-water mark of resident memory, which sees the Rust SDK's
allocations that tracemalloc cannot) minus the resident size just before the operation.

Targets: verify at >= 70 % of SHA-256 speed (each verification against a SHA-256 of the same file run just
before it); peak memory while signing <= 1.2x the file size. `verify` is what an upload costs (its SHA-256 was
computed as it arrived); `verify+sha` also hashes the file for the registry, as for a file already on disk.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def bench_claim(plate: Path):
    from likeness.provenance.signing import OutputClaim

    return OutputClaim(decision_id="bench-decision", grant_id="1", grant_version=1, grant_document_sha256="a" * 64,
                       rule_pack_versions={"platform": "bench"}, obligations=("label",), performer_public_id="bench",
                       production_id="1", model_id="bench-model", weights_sha256="b" * 64,
                       dataset_manifest_sha256="c" * 64, reference_titles=("Bench (2001)",),
                       engine_name="likeness-engine", engine_version="bench", parameters={"target_age": 30},
                       source_plate=plate, source_plate_mime="image/png")


# --- child: one measured operation ----------------------------------------------------------------------------

def child(op: str, path: str, mime: str, pki_dir: str, plate: str) -> None:
    import hashlib

    from likeness.provenance.c2pa_context import reading_context, signer_for, signing_context
    from likeness.provenance.signing import sign_output
    from likeness.provenance.verification import verify_path, verify_stream
    from likeness.signing import pki
    from likeness.signing.tsa import local_tsa_url

    anchors = pki.trust_anchors_pem(Path(pki_dir)).decode()
    tsa = local_tsa_url(Path(pki_dir))
    # Build the per-process SDK objects before the baseline: they are a fixed cost, not per file.
    reading_context(anchors)
    signing_context(anchors)
    signer_for(pki.signing_identity(base=Path(pki_dir)), tsa)
    warm_kb = 0
    if op == "sign":
        # A worker signs many outputs in one process: the SDK's first signing allocates ~6 MB it keeps for the
        # life of the process (whatever the file's size). Pay it on the 64x64 plate first and report it apart,
        # so the peak below is what signing *this* file adds.
        before = _status_kb("VmRSS")
        warm = Path(path).with_name("warm-up-signed.png")
        warm.unlink(missing_ok=True)
        sign_output(src=Path(plate), dst=warm, mime="image/png", claim=bench_claim(Path(plate)),
                    pki_base=Path(pki_dir), tsa_url=tsa)
        warm.unlink()
        warm_kb = max(0, _status_kb("VmHWM") - before)
    given = None
    if op == "verify":
        given = (hashlib.file_digest(open(path, "rb"), "sha256").hexdigest(), Path(path).stat().st_size)
    # The high-water mark so far is the floor: only memory above it counts as this operation's.
    baseline = max(_status_kb("VmRSS"), _status_kb("VmHWM"))
    start = time.perf_counter()
    result: dict[str, object] = {}
    if op == "sha256":
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(4 * 1024 * 1024), b""):
                digest.update(block)
        result["sha256"] = digest.hexdigest()
    elif op == "sign":
        dst = Path(path).with_name("signed-" + Path(path).name)
        dst.unlink(missing_ok=True)
        sign_output(src=Path(path), dst=dst, mime=mime, claim=bench_claim(Path(plate)), pki_base=Path(pki_dir),
                    tsa_url=tsa)
        result["signed"] = str(dst)
    elif op in ("verify", "verify+sha"):
        if op == "verify":  # as for an upload, whose SHA-256 was computed as it arrived (likeness.common.uploads)
            with open(path, "rb", buffering=1 << 20) as fh:
                report = verify_stream(fh, anchors_pem=anchors, mime=mime, digest=given)
        else:  # a file on disk: its SHA-256 for the registry computed alongside, in a second thread
            report = verify_path(path, anchors_pem=anchors, mime=mime)
        result["state"] = report.state
        if report.state != "Trusted":
            result["failures"] = report.failure_codes
    seconds = time.perf_counter() - start
    peak = _status_kb("VmHWM")
    result.update(seconds=seconds, baseline_kb=baseline, peak_kb=peak, added_kb=max(0, peak - baseline),
                  warm_up_kb=warm_kb)
    print(json.dumps(result))


def run_child(op: str, path: Path, mime: str, pki_dir: Path, plate: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", op, str(path), mime, str(pki_dir), str(plate)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- making the inputs -----------------------------------------------------------------------------------------

def make_mp4(path: Path, target_mb: int) -> Path:
    """Noise frames encoded losslessly at 720p: incompressible, so the file reaches the size quickly."""
    import av
    import numpy as np

    rng = np.random.default_rng(0)
    target = target_mb * 1024 * 1024
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24, options={"preset": "ultrafast", "qp": "0"})
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        written = 0
        base = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
        i = 0
        while written < target:
            frame = np.roll(base, i * 7, axis=1) ^ rng.integers(0, 64, (720, 1280, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
                written += packet.size
            i += 1
        for packet in stream.encode():
            container.mux(packet)
    return path


def make_png(path: Path, size: str) -> Path:
    import cv2
    import numpy as np

    w, h = (int(v) for v in size.split("x"))
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    cv2.imwrite(str(path), img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mp4-mb", type=int, default=100)
    parser.add_argument("--png", default="3840x2160")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", default=None, help="directory to keep (and reuse) the generated inputs")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="likeness-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    from likeness.signing import pki

    pki_dir = work / "pki"
    if not (pki_dir / "anchors.pem").exists():
        pki.pki_create(base=pki_dir, signing_days=30)
    plate = make_png(work / "plate.png", "64x64")
    mp4 = work / f"noise-{args.mp4_mb}mb.mp4"
    png = work / f"noise-{args.png}.png"
    if not mp4.exists():
        make_mp4(mp4, args.mp4_mb)
    if not png.exists():
        make_png(png, args.png)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; median of {args.repeat}; peak = VmHWM during the "
          "operation - max(VmRSS, VmHWM) before it, in a fresh process (sign: after one warm-up signing)")
    print(f"{'file':<28}{'MB':>8}  {'op':<11}{'seconds':>9}{'MB/s':>9}{'peak MB':>9}{'peak/size':>10}  note")
    for path, mime in ((mp4, "video/mp4"), (png, "image/png")):
        size_mb = path.stat().st_size / (1024 * 1024)
        results: dict[str, dict] = {}
        runs: dict[str, list[dict]] = {"sha256": [], "sign": [], "verify": [], "verify+sha": []}
        for _ in range(args.repeat):
            runs["sign"].append(run_child("sign", path, mime, pki_dir, plate))
        # SHA-256 and verification in pairs, back to back, so each ratio compares two runs under the same load.
        signed = path.with_name("signed-" + path.name)
        for _ in range(args.repeat):
            runs["sha256"].append(run_child("sha256", signed, mime, pki_dir, plate))
            runs["verify"].append(run_child("verify", signed, mime, pki_dir, plate))
            runs["verify+sha"].append(run_child("verify+sha", signed, mime, pki_dir, plate))
        for op in ("sha256", "sign", "verify", "verify+sha"):
            best = sorted(runs[op], key=lambda r: r["seconds"])[len(runs[op]) // 2]  # the median run
            best["peak_mb"] = max(r["added_kb"] for r in runs[op]) / 1024
            results[op] = best
            note = ""
            if op.startswith("verify"):
                ratios = sorted(h["seconds"] / v["seconds"] * 100 for h, v in zip(runs["sha256"], runs[op],
                                                                                   strict=True))
                note = f"state {best.get('state')}; {ratios[len(ratios) // 2]:.0f}% of SHA-256 speed (median of " \
                       f"pairs {', '.join(f'{r:.0f}' for r in ratios)}; target >= 70%)"
            if op == "sign":
                note = f"target peak <= 1.2x size; first signing in a process: +{best['warm_up_kb'] / 1024:.1f} MB once"
            print(f"{path.name:<28}{size_mb:>8.1f}  {op:<11}{best['seconds']:>9.3f}{size_mb / best['seconds']:>9.0f}"
                  f"{best['peak_mb']:>9.1f}{best['peak_mb'] / size_mb:>10.2f}  {note}")
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:7])
    else:
        main()
