"""Signing real PNG, JPEG and H.264 MP4 outputs and reading them back; every kind of tampering, expired and
unknown signers, and files signed by others."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from pathlib import Path

import c2pa
import pytest

from likeness.provenance import jumbf
from likeness.provenance.c2pa_context import signing_context
from likeness.provenance.signing import AI_SOURCE_TYPE, SigningError, sign_output
from likeness.provenance.verification import verify_path
from likeness.signing import pki
from tests.likeness.provenance.conftest import MIMES, make_claim, reencode

EXTS = ["png", "jpg", "mp4"]


def _sign(media, tmp_path: Path, ext: str, **kw) -> Path:
    plate = media(ext, 100, "plate")
    dst = tmp_path / f"signed.{ext}"
    sign_output(src=media(ext, 1, "render"), dst=dst, mime=MIMES[ext], claim=make_claim(plate), **kw)
    return dst


def _flip(src: Path, dst: Path, offset: int) -> Path:
    data = bytearray(src.read_bytes())
    data[offset] ^= 0xFF
    dst.write_bytes(bytes(data))
    return dst


@pytest.mark.parametrize("ext", EXTS)
def test_signed_output_reads_trusted_with_the_full_manifest(pki_base, anchors, media, tmp_path, ext):
    signed = _sign(media, tmp_path, ext)
    report = verify_path(signed, anchors_pem=anchors)
    assert report.state == "Trusted", report.failures
    assert report.failures == []
    assert "signingCredential.trusted" in report.codes
    active = report.manifests[0]
    actions = [a["action"] for a in active["actions"]]
    assert actions[:2] == ["c2pa.opened", "c2pa.edited"]
    edited = active["actions"][1]
    assert edited["digitalSourceType"] == AI_SOURCE_TYPE
    assert edited["softwareAgent"] == {"name": "likeness-engine", "version": "0.3.0"}
    assert edited["parameters"]["target_age"] == 30
    assert active["ingredients"][0]["relationship"] == "parentOf"
    assert active["ingredients"][0]["title"] == f"plate.{ext}"
    assert active["ingredients"][0]["sha256"] == hashlib.sha256((tmp_path / f"plate.{ext}").read_bytes()).hexdigest()
    assert active["training_mining"]["entries"]["cawg.ai_training"]["use"] == "notAllowed"
    assert report.consent["grant_version"] == 2 and report.consent["performer"].startswith("9d5b7f0e")
    assert report.model["weights_sha256"] == "b" * 64
    # No thumbnails (they would leak a picture of the performer and add size).
    assert not any("thumbnail" in (label or "") for label in active["assertion_labels"])
    assert "Avery" not in signed.read_bytes().decode("latin-1")


@pytest.mark.parametrize("ext", EXTS)
def test_every_assertion_the_platform_makes_is_a_created_assertion(pki_base, media, tmp_path, ext):
    """C2PA 2.x: created assertions are attributed to the signer, gathered ones to no one. The claim is read from
    the file's own CBOR (not through the SDK): the actions assertion, which carries the AI source type, and
    the platform's own assertions are all listed as created; only the SDK's ingredient may be gathered."""
    signed = _sign(media, tmp_path, ext)
    with open(signed, "rb") as fh:
        claim = jumbf.claim(fh, MIMES[ext])

    def labels(key: str) -> set[str]:
        return {ref["url"].rsplit("/", 1)[-1] for ref in claim.get(key) or []}

    created, gathered = labels("created_assertions"), labels("gathered_assertions")
    assert {"c2pa.actions.v2", "cawg.training-mining", "org.likeness-platform.consent",
            "org.likeness-platform.model"} <= created
    assert not {"c2pa.actions.v2", "c2pa.actions"} & gathered
    assert gathered <= {label for label in gathered if label.startswith("c2pa.ingredient")}


def _pixel_offset(path: Path) -> int:
    data = path.read_bytes()
    if path.suffix == ".png":
        return data.index(b"IDAT") + 24
    if path.suffix == ".jpg":
        return len(data) - 12  # inside the entropy-coded scan, before the EOI marker
    return data.index(b"mdat") + 64  # inside the H.264 media data


@pytest.mark.parametrize(("ext", "code"), [("png", "assertion.dataHash.mismatch"),
                                           ("jpg", "assertion.dataHash.mismatch"),
                                           ("mp4", "assertion.bmffHash.mismatch")])
def test_changed_pixels_or_media_data_are_invalid(pki_base, anchors, media, tmp_path, ext, code):
    signed = _sign(media, tmp_path, ext)
    tampered = _flip(signed, tmp_path / f"tampered.{ext}", _pixel_offset(signed))
    report = verify_path(tampered, anchors_pem=anchors)
    assert report.state == "Invalid"
    assert code in report.failure_codes
    line = next(f for f in report.failures if f.code == code)
    assert "changed after signing" in line.explanation


@pytest.mark.parametrize("ext", EXTS)
def test_an_edited_assertion_is_invalid(pki_base, anchors, media, tmp_path, ext):
    signed = _sign(media, tmp_path, ext)
    data = signed.read_bytes()
    # Change one character of the consent record's decision id inside the manifest.
    offset = data.index(b"3f1c2a9e-0000-4000-8000-00000000d001") + 3
    tampered = _flip(signed, tmp_path / f"edited.{ext}", offset)
    report = verify_path(tampered, anchors_pem=anchors)
    assert report.state == "Invalid"
    assert "assertion.hashedURI.mismatch" in report.failure_codes
    assert "edited after signing" in next(f for f in report.failures
                                          if f.code == "assertion.hashedURI.mismatch").explanation


@pytest.mark.parametrize("ext", EXTS)
def test_a_stripped_manifest_reads_as_no_manifest(pki_base, anchors, media, tmp_path, ext):
    signed = _sign(media, tmp_path, ext)
    stripped = reencode(signed, tmp_path / f"reencoded.{ext}")
    report = verify_path(stripped, anchors_pem=anchors)
    assert report.state == "NoManifest"
    assert report.failure_codes == ["ManifestNotFound"]
    assert "stripped" in report.failures[0].explanation


def test_a_timestamped_output_stays_trusted_after_its_certificate_expires(pki_base, anchors, media, tmp_path):
    """The signing certificate expires during the test. The RFC 3161 timestamp (the platform's own authority by
    default) proves the signature was made while it was valid: the file stays Trusted and says when it was
    signed. The same signature without a timestamp (made here with the SDK directly, as the platform never
    does) turns Invalid and is explained as expiry, not as someone else's signature."""
    now = dt.datetime.now(dt.UTC)
    short = pki.pki_issue_signing(base=pki_base, not_before=now - dt.timedelta(days=1),
                                  not_after=now + dt.timedelta(seconds=3), activate=False)
    signed = _sign(media, tmp_path, "png", identity=short)
    bare = tmp_path / "untimestamped.png"
    builder = c2pa.Builder.from_json(json.dumps({"title": "bare", "format": "image/png", "assertions": [
        {"label": "c2pa.actions", "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": AI_SOURCE_TYPE}]}}]}),
                                     signing_context(anchors))
    with open(media("png", 9), "rb") as src, open(bare, "x+b") as dst:
        info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, short.chain_pem(), short.key_pem(), None)
        builder.sign(c2pa.Signer.from_info(info), "image/png", src, dst)
    builder.close()
    before = verify_path(signed, anchors_pem=anchors)
    assert before.state == "Trusted" and {"timeStamp.validated", "timeStamp.trusted"} <= before.codes
    assert before.signer["time"]
    time.sleep(max(0.0, (short.certificate().not_valid_after_utc - dt.datetime.now(dt.UTC)).total_seconds()) + 1.2)
    after = verify_path(signed, anchors_pem=anchors)
    assert after.state == "Trusted", after.failures
    assert dt.datetime.fromisoformat(after.signer["time"]) < short.certificate().not_valid_after_utc
    untimestamped = verify_path(bare, anchors_pem=anchors)
    assert untimestamped.state == "Invalid" and "signingCredential.expired" in untimestamped.failure_codes
    explanation = next(f for f in untimestamped.failures if f.code == "signingCredential.expired").explanation
    assert "expired" in explanation and "someone else" not in explanation


def test_a_file_signed_by_an_unrelated_ca_is_valid_but_untrusted(pki_base, anchors, media, tmp_path):
    other = tmp_path / "other-ca"
    pki.pki_create(base=other, org="Elsewhere Post Ltd")
    signed = tmp_path / "theirs.png"
    sign_output(src=media("png", 3), dst=signed, mime="image/png", claim=make_claim(media("png", 4, "p")),
                pki_base=other)
    report = verify_path(signed, anchors_pem=anchors)
    assert report.state == "Valid"
    assert "signingCredential.untrusted" in report.failure_codes
    assert "cannot say who signed it" in next(f for f in report.failures
                                              if f.code == "signingCredential.untrusted").explanation
    assert report.signer["issuer"] == "Elsewhere Post Ltd"
    # Against its own anchors the same file is Trusted: trust is a property of the verifier's anchors.
    assert verify_path(signed, anchors_pem=pki.trust_anchors_pem(other).decode()).state == "Trusted"


def test_an_unsigned_file_and_a_non_media_file(pki_base, anchors, media, tmp_path):
    assert verify_path(media("jpg", 9), anchors_pem=anchors).state == "NoManifest"
    junk = tmp_path / "notes.txt"
    junk.write_text("not a picture")
    report = verify_path(junk, anchors_pem=anchors)
    assert report.state in ("Unreadable", "NoManifest")
    assert report.failures[0].explanation


def test_a_failed_signing_leaves_no_file(pki_base, media, tmp_path):
    now = dt.datetime.now(dt.UTC)
    expired = pki.pki_issue_signing(base=pki_base, not_before=now - dt.timedelta(days=10),
                                    not_after=now - dt.timedelta(days=1), activate=False)
    dst = tmp_path / "never.png"
    with pytest.raises(SigningError, match="not valid at time of signing"):
        sign_output(src=media("png", 1), dst=dst, mime="image/png", claim=make_claim(media("png", 2, "p")),
                    identity=expired)
    assert not dst.exists()
    # A source that is not what the mime says: the SDK fails part-way; still nothing left behind.
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"\x00" * 4096)
    with pytest.raises(SigningError):
        sign_output(src=bogus, dst=tmp_path / "never.mp4", mime="video/mp4", claim=make_claim(media("png", 2, "p")))
    assert not (tmp_path / "never.mp4").exists()
