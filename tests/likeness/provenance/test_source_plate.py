"""Verification tells an output's source plate from a copy of the output.

An AI alteration changes part of a plate and keeps the rest, so by content alone the untouched plate looks like
the output. The registry knows each output's plate (the SHA-256 its manifest names, and its fingerprint), and
says which one a file is: the output, a copy of it, or its source plate. Across studios the rule is the one
copies follow: a user who may not see the output learns nothing, not even that a match exists."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import cv2
import numpy as np
import pytest
from django.test import Client
from rest_framework.test import APIClient

from likeness.provenance.models import Output
from likeness.provenance.selectors import verify_upload
from likeness.provenance.services import output_approve, output_register, output_sign_and_release
from tests.likeness.provenance.conftest import allowed_decision, reencode, scene

PLATE_SEED = 5


def _altered(plate: np.ndarray) -> np.ndarray:
    """What the engine does to a plate, in miniature: a face-sized region changed (smoothed and lightened),
    the rest of the picture kept. Enough to move 6 of the 64 fingerprint bits (re-encoding moves none here)."""
    out = plate.copy()
    region = out[14:50, 30:66]
    out[14:50, 30:66] = np.clip(cv2.GaussianBlur(region, (0, 0), 3).astype(int) + 50, 0, 255).astype(np.uint8)
    return out


@pytest.fixture
def from_plate(world, make_grant, platform_ca, tmp_path) -> SimpleNamespace:
    """A released output rendered from a plate through the real services (register, approve, sign)."""
    world.grant = make_grant()
    plate = tmp_path / "plate.png"
    cv2.imwrite(str(plate), scene(PLATE_SEED))
    rendered = tmp_path / "render.png"
    cv2.imwrite(str(rendered), _altered(scene(PLATE_SEED)))
    decision = allowed_decision(world, purpose="submit")
    output = output_register(job_ref="job-plate", decision=decision, performer=world.performer,
                             production=world.production, local_file=rendered, mime="image/png", by=None,
                             source_plate=plate, source_plate_mime="image/png")
    output_approve(output=output, by=world.rep, note="approved for the flashback reel")
    output = output_sign_and_release(output=output, by=world.supervisor, regate=lambda: allowed_decision(world))
    signed = tmp_path / "signed.png"
    with output.file.open("rb") as fh:
        signed.write_bytes(fh.read())
    return SimpleNamespace(world=world, output=output, plate=plate, signed=signed)


def _verify(path: Path, user: Any) -> dict[str, Any]:
    with open(path, "rb") as fh:
        return verify_upload(fh, user=user, name=path.name)


def test_the_source_plate_is_recorded_as_the_manifest_names_it(from_plate):
    output = Output.objects.get(pk=from_plate.output.pk)
    assert output.source_sha256 == hashlib.sha256(from_plate.plate.read_bytes()).hexdigest()
    assert output.source_fingerprint.startswith("p1:")
    result = _verify(from_plate.signed, from_plate.world.auditor)
    assert result["manifests"][0]["ingredients"][0]["sha256"] == output.source_sha256  # the parent ingredient


def test_the_untouched_plate_is_its_source_by_exact_sha256(from_plate):
    found = _verify(from_plate.plate, from_plate.world.auditor)["registry"]
    assert found["matched_by"] == "source_sha256" and found["relation"] == "source"
    assert [o["id"] for o in found["outputs"]] == [str(from_plate.output.pk)]
    assert found["outputs"][0]["relation"] == "source" and found["outputs"][0]["distance"] == 0
    assert f"source plate of output {str(from_plate.output.pk)[:8]}" in found["summary"]
    assert "not a copy" in found["summary"]


def test_a_reencoded_plate_matches_the_source_plate_by_content_fingerprint(from_plate, tmp_path):
    copy = reencode(from_plate.plate, tmp_path / "plate-reencoded.jpg")
    found = _verify(copy, from_plate.world.auditor)["registry"]
    assert found["matched_by"] == "source_fingerprint" and found["relation"] == "source"
    assert found["outputs"][0]["id"] == str(from_plate.output.pk)
    assert "matches the source plate of output" in found["summary"]


def test_a_stripped_copy_of_the_output_is_still_a_copy(from_plate, tmp_path):
    copy = reencode(from_plate.signed, tmp_path / "output-stripped.jpg")
    result = _verify(copy, from_plate.world.auditor)
    assert result["state"] == "NoManifest"
    found = result["registry"]
    assert found["matched_by"] == "fingerprint" and found["relation"] == "copy"
    assert found["outputs"][0]["id"] == str(from_plate.output.pk)
    assert "a copy whose bytes differ" in found["summary"]
    # The signed file itself is the output, by its exact hash.
    assert _verify(from_plate.signed, from_plate.world.auditor)["registry"]["matched_by"] == "sha256"


def test_an_unrelated_file_is_unknown(from_plate, tmp_path):
    other = tmp_path / "unrelated.png"
    cv2.imwrite(str(other), scene(PLATE_SEED + 40))
    found = _verify(other, from_plate.world.auditor)["registry"]
    assert found["matched_by"] is None and found["outputs"] == [] and found["relation"] is None
    assert found["summary"] == "No registered output matches this file."


@pytest.mark.parametrize("role", ["other_auditor", "other_vfx", "other_rep"])
def test_another_studios_people_learn_nothing_of_the_output_from_its_plate(from_plate, tmp_path, role):
    """The same answer, key for key, as for a file the registry does not know."""
    user = getattr(from_plate.world, role)
    other = tmp_path / "unrelated.png"
    cv2.imwrite(str(other), scene(PLATE_SEED + 40))
    unknown = _verify(other, user)["registry"]
    for path in (from_plate.plate, reencode(from_plate.plate, tmp_path / "plate-reencoded.jpg")):
        found = _verify(path, user)["registry"]
        assert found["matched_by"] is None and found["outputs"] == [], (role, path.name, found)
        assert set(found) == set(unknown) and found["summary"] == unknown["summary"]
        assert str(from_plate.output.pk)[:8] not in str(found)


def test_the_api_and_the_pages_say_it_is_the_source_plate(from_plate):
    w, output = from_plate.world, from_plate.output
    short = str(output.pk)[:8]
    api = APIClient()
    api.force_authenticate(w.auditor)
    body = api.post("/api/v1/provenance/verify/", {"file": io.BytesIO(from_plate.plate.read_bytes())},
                    format="multipart").json()
    assert body["registry"]["matched_by"] == "source_sha256"
    assert f"source plate of output {short}" in body["registry"]["summary"]
    body = api.post("/api/v1/provenance/outputs/lookup/", {"file": io.BytesIO(from_plate.plate.read_bytes())},
                    format="multipart").json()
    assert body["matched_by"] == "source_sha256" and body["outputs"][0]["relation"] == "source"

    page = Client()
    page.force_login(w.auditor)
    for url in ("/verify/", "/outputs/"):
        handle = io.BytesIO(from_plate.plate.read_bytes())
        handle.name = "plate.png"
        text = page.post(url, {"file": handle}).content.decode()
        assert 'data-matched-by="source_sha256"' in text, url
        assert f"This file is the source plate of output {short}" in text and "its source plate" in text, url
        assert f"/outputs/{output.pk}/" in text, url

    # Another studio's auditor: the page reads as for an unknown file.
    outsider = Client()
    outsider.force_login(w.other_auditor)
    handle = io.BytesIO(from_plate.plate.read_bytes())
    handle.name = "plate.png"
    text = outsider.post("/verify/", {"file": handle}).content.decode()
    assert 'data-matched-by="none"' in text and short not in text
