"""Provenance fixtures: a CA in a temporary PKI directory, small real media (PNG, JPEG, H.264 MP4) and a
released output made through the real services."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import av
import cv2
import numpy as np
import pytest

from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make
from likeness.provenance.services import output_approve, output_register, output_sign_and_release, pki_initialise
from likeness.provenance.signing import OutputClaim
from likeness.signing import pki

MIMES = {"png": "image/png", "jpg": "image/jpeg", "mp4": "video/mp4"}


def scene(seed: int, h: int = 72, w: int = 96, shift: int = 0) -> np.ndarray:
    """A small picture with structure (shapes at seeded places), so perceptual hashes differ between seeds."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = rng.integers(30, 90, 3, dtype=np.uint8)
    for _ in range(5):
        x, y = int(rng.integers(0, w - 20)), int(rng.integers(0, h - 20))
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(img, (x + shift, y), (x + shift + int(rng.integers(8, 30)), y + int(rng.integers(8, 30))),
                      color, -1)
    cv2.circle(img, (int(rng.integers(20, w - 20)), int(rng.integers(20, h - 20))), 12, (240, 240, 240), -1)
    return img


def write_image(path: Path, seed: int = 0) -> Path:
    cv2.imwrite(str(path), scene(seed))
    return path


def write_mp4(path: Path, seed: int = 0, frames: int = 12, crf: int = 23) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24, options={"crf": str(crf)})
        stream.width, stream.height, stream.pix_fmt = 96, 72, "yuv420p"
        for i in range(frames):
            rgb = cv2.cvtColor(scene(seed, shift=i), cv2.COLOR_BGR2RGB)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_media(path: Path, seed: int = 0) -> Path:
    return write_mp4(path, seed) if path.suffix == ".mp4" else write_image(path, seed)


def reencode(src: Path, dst: Path) -> Path:
    """What a distributor or a screen grab does: decode and encode again. The manifest does not survive."""
    if src.suffix == ".mp4":
        with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
            stream = out.add_stream("libx264", rate=24, options={"crf": "30"})
            stream.width, stream.height, stream.pix_fmt = 96, 72, "yuv420p"
            for frame in inp.decode(video=0):
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"),
                                                                       format="rgb24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        return dst
    img = cv2.imread(str(src))
    params = [cv2.IMWRITE_JPEG_QUALITY, 80] if dst.suffix == ".jpg" else []
    cv2.imwrite(str(dst), img, params)
    return dst


@pytest.fixture
def pki_base(settings, tmp_path) -> Path:
    """A fresh CA on disk only (no database): for signing and verification tests."""
    settings.PKI_DIR = tmp_path / "pki"
    settings.TSA_URL = ""
    pki.pki_create(base=settings.PKI_DIR)
    return settings.PKI_DIR


@pytest.fixture
def platform_ca(db, settings, tmp_path):
    """The platform's CA created through the service (records the signing certificate)."""
    settings.PKI_DIR = tmp_path / "pki"
    settings.TSA_URL = ""
    return pki_initialise()


@pytest.fixture
def anchors(settings) -> str:
    return pki.trust_anchors_pem(settings.PKI_DIR).decode()


def make_claim(plate: Path, **overrides: Any) -> OutputClaim:
    base = dict(decision_id="3f1c2a9e-0000-4000-8000-00000000d001", grant_id="7", grant_version=2,
                grant_document_sha256="a" * 64, rule_pack_versions={"platform": "2026.11", "SAG-AFTRA": "2026.1"},
                obligations=("ai_disclosure", "label"), performer_public_id="9d5b7f0e-1111-4000-8000-0000000000aa",
                production_id="1", model_id="m-42", weights_sha256="b" * 64, dataset_manifest_sha256="c" * 64,
                reference_titles=("Northbound (2003)",), engine_name="likeness-engine", engine_version="0.3.0",
                parameters={"target_age": 30}, source_plate=plate, source_plate_mime=MIMES[plate.suffix[1:]])
    base.update(overrides)
    return OutputClaim(**base)


@pytest.fixture
def media(tmp_path) -> Callable[[str, int], Path]:
    def make(ext: str, seed: int = 0, name: str | None = None) -> Path:
        return write_media(tmp_path / f"{name or f'media-{seed}'}.{ext}", seed)

    return make


def allowed_decision(world: Any, purpose: str = "release", **kw: Any) -> Any:
    request = gate_request_build(performer=world.performer, production=world.production, use="de_aging",
                                 depicted_age=kw.pop("depicted_age", 30), media=["theatrical"], territories=["US"],
                                 replica_types=["digital_alteration"], at=kw.pop("at", None))
    return decision_make(request=request, performer=world.performer, production=world.production, purpose=purpose,
                         by=kw.pop("by", world.vfx))


@pytest.fixture
def registered(world, make_grant, platform_ca, tmp_path) -> Callable[..., SimpleNamespace]:
    """Register a rendered output (an allowed decision, a real file and a source plate) through the service."""
    world.grant = make_grant()

    def make(ext: str = "png", seed: int = 1) -> SimpleNamespace:
        decision = allowed_decision(world, purpose="submit")
        assert decision.allowed, decision.explanation
        plate = write_media(tmp_path / f"plate-{seed}.{ext}", seed + 100)
        rendered = write_media(tmp_path / f"render-{seed}.{ext}", seed)
        output = output_register(job_ref=f"job-{seed}", decision=decision, performer=world.performer,
                                 production=world.production, local_file=rendered, mime=MIMES[ext], by=None,
                                 likeness_model_id="m-42", likeness_model_weights_sha256="b" * 64,
                                 source_sha256="d" * 64, dataset_manifest_sha256="c" * 64,
                                 reference_titles=["Northbound (2003)"], engine_version="0.3.0",
                                 parameters={"target_age": 30}, source_plate=plate, source_plate_mime=MIMES[ext])
        return SimpleNamespace(output=output, decision=decision, plate=plate, rendered=rendered, world=world)

    return make


@pytest.fixture
def released(registered) -> Callable[..., SimpleNamespace]:
    def make(ext: str = "png", seed: int = 1) -> SimpleNamespace:
        r = registered(ext, seed)
        output_approve(output=r.output, by=r.world.rep, note="looks right; approved for the flashback reel")
        r.output = output_sign_and_release(output=r.output, by=r.world.supervisor,
                                           regate=lambda: allowed_decision(r.world))
        return r

    return make


NOW = dt.datetime.now
