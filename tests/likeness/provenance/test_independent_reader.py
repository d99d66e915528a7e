"""Every kind of output read by a C2PA implementation that shares no code with the platform's: @trustnxt/c2pa-ts
(pure TypeScript, from npm; `make reader` installs it, pinned). It must find the manifest, a valid signature and
hard binding, the platform's assertions with the AI source type, and fail a tampered copy. It has no trust
anchors, so the chain of trust is checked with `openssl verify` against the platform's anchors.

Also: every status code the specification defines (c2pa-ts's list, written from the specification) has an
explanation in the platform's table."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from likeness.provenance.codes import EXPLANATIONS
from likeness.provenance.signing import AI_SOURCE_TYPE

READER = Path(settings.BASE_DIR) / "tests" / "independent_reader"
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (READER / "node_modules" / "@trustnxt" / "c2pa-ts").is_dir(),
    reason="needs Node.js and the independent reader (make reader)")
HARD_BINDING = {"png": "assertion.dataHash.match", "jpg": "assertion.dataHash.match", "mp4": "assertion.bmffHash.match"}


def read(*paths: Path) -> list[dict]:
    done = subprocess.run(["node", "read.mjs", *map(str, paths)], cwd=READER, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.parametrize("ext", ["png", "jpg", "mp4"])
def test_the_independent_reader_validates_each_kind_of_output(released, tmp_path, ext) -> None:
    r = released(ext)
    signed = Path(r.output.file.path)
    [seen] = read(signed)
    assert seen["manifest"] and seen["error"] is None, seen
    assert seen["valid"], seen["codes"]
    codes = {c["code"] for c in seen["codes"] if c["success"]}
    assert {"claimSignature.validated", HARD_BINDING[ext], "timeStamp.trusted"} <= codes, codes
    active = seen["active"]
    assert active["label"] == r.output.manifest_label
    edited = next(a for a in active["actions"] if a["action"] == "c2pa.edited")
    assert edited["digitalSourceType"] == AI_SOURCE_TYPE
    consent = active["custom"]["org.likeness-platform.consent"]
    assert consent["decision_id"] == str(r.output.release_decision_id)
    assert str(consent["grant_id"]) == str(r.world.grant.pk) and consent["output_id"] == str(r.output.pk)
    assert active["custom"]["org.likeness-platform.model"]["weights_sha256"] == "b" * 64
    assert active["ingredients"][0]["relationship"] == "parentOf"
    assert len(active["ingredients"][0]["metadata"]["org.likeness-platform.sha256"]) == 64
    assert {"cawg.training-mining", "c2pa.soft-binding"} <= set(active["assertions"])

    # Tampered copies: a changed byte of content, and an edited assertion.
    data = signed.read_bytes()
    content = bytearray(data)
    at = {"png": lambda: data.index(b"IDAT") + 24, "jpg": lambda: len(data) - 12,
          "mp4": lambda: data.index(b"mdat") + 64}[ext]()
    content[at] ^= 0xFF
    (tmp_path / f"content.{ext}").write_bytes(bytes(content))
    named = str(r.output.release_decision_id)
    other = named[:-1] + ("1" if named.endswith("0") else "0")  # the same length, another id
    assertion = data.replace(named.encode(), other.encode(), 1)
    assert assertion != data
    (tmp_path / f"assertion.{ext}").write_bytes(assertion)
    for tampered in read(tmp_path / f"content.{ext}", tmp_path / f"assertion.{ext}"):
        failed = {c["code"] for c in tampered["codes"] if not c["success"]}
        assert not tampered["valid"] and failed & {"assertion.dataHash.mismatch", "assertion.bmffHash.mismatch",
                                                   "assertion.hashedURI.mismatch"}, tampered


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_signing_chain_the_reader_sees_is_the_platforms(released, settings, tmp_path) -> None:
    """c2pa-ts does not check trust: openssl checks the chain the file carries against the platform's anchors."""
    from likeness.provenance.selectors import verify_upload

    r = released("png")
    with r.output.file.open("rb") as fh:
        report = verify_upload(fh, user=r.world.auditor, name="out.png")
    leaf, *issuers = report["signing_chain_pem"]
    (tmp_path / "leaf.pem").write_text(leaf)
    (tmp_path / "issuers.pem").write_text("".join(issuers))
    done = subprocess.run(["openssl", "verify", "-CAfile", str(Path(settings.PKI_DIR) / "root.cert.pem"),
                           "-untrusted", str(tmp_path / "issuers.pem"), str(tmp_path / "leaf.pem")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_specification_status_code_is_explained() -> None:
    done = subprocess.run(["node", "codes.mjs"], cwd=READER, capture_output=True, text=True, timeout=60)
    codes = json.loads(done.stdout)
    assert len(codes) > 70
    assert [c for c in codes if c not in EXPLANATIONS] == []
