"""Provenance endpoints for every role, and what they answer: verification with explanations, registry search
by hash and fingerprint, approval, bundles, upload limits."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from likeness.provenance.signing import sign_output
from likeness.signing import pki
from tests.likeness.provenance.conftest import make_claim, reencode

ROLES = ("anon", "rep", "counsel", "other_rep", "studio_legal", "vfx", "auditor")


def client_for(world: Any, role: str) -> APIClient:
    client = APIClient()
    if role != "anon":
        client.force_authenticate(getattr(world, role))
    return client


def upload(path) -> dict[str, Any]:
    return {"file": io.BytesIO(path.read_bytes())}


def _file(data: bytes, name: str) -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


def check(world: Any, expected: dict[str, int], request: Callable[[APIClient, str], Any]) -> None:
    got = {role: request(client_for(world, role), role).status_code for role in ROLES}
    assert got == expected


def test_permission_matrix(released, registered, tmp_path):
    r = released("png")
    w = r.world
    signed = r.output.file.read()
    r.output.file.close()
    base = "/api/v1/provenance"

    check(w, {"anon": 401, "rep": 403, "counsel": 403, "other_rep": 403, "studio_legal": 403, "vfx": 403,
              "auditor": 200},
          lambda c, _: c.post(f"{base}/verify/", {"file": _file(signed, "x.png")}, format="multipart"))
    check(w, {"anon": 401, **{role: 200 for role in ROLES if role != "anon"}},
          lambda c, _: c.get(f"{base}/outputs/"))
    check(w, {"anon": 401, "rep": 200, "counsel": 200, "other_rep": 404, "studio_legal": 200, "vfx": 200,
              "auditor": 200},
          lambda c, _: c.get(f"{base}/outputs/{r.output.pk}/"))
    check(w, {"anon": 401, **{role: 200 for role in ROLES if role != "anon"}},
          lambda c, _: c.post(f"{base}/outputs/lookup/", {"file": _file(signed, "x.png")}, format="multipart"))
    check(w, {"anon": 401, "rep": 200, "counsel": 200, "other_rep": 404, "studio_legal": 403, "vfx": 403,
              "auditor": 200},
          lambda c, _: c.get(f"{base}/outputs/{r.output.pk}/bundle/"))

    def note_action(verb: str) -> Callable[[APIClient, str], Any]:
        def request(c: APIClient, role: str) -> Any:
            fresh = registered("jpg", seed=hash((verb, role)) % 1000 + 10).output
            return c.post(f"{base}/outputs/{fresh.pk}/{verb}/", {"note": f"{verb} by {role}"}, format="json")
        return request

    for verb in ("approve", "decline"):
        check(w, {"anon": 401, "rep": 200, "counsel": 200, "other_rep": 404, "studio_legal": 403, "vfx": 403,
                  "auditor": 403}, note_action(verb))


def test_verify_explains_codes_and_links_records(released, tmp_path):
    r = released("jpg")
    client = client_for(r.world, "auditor")
    signed = r.output.file.read()
    r.output.file.close()
    body = client.post("/api/v1/provenance/verify/", {"file": _file(signed, "shot.jpg")}, format="multipart").json()
    assert body["state"] == "Trusted" and body["failures"] == []
    assert body["manifests"][0]["actions"][1]["digitalSourceType"].endswith("compositeWithTrainedAlgorithmicMedia")
    assert body["platform"]["grant"]["active_now"] is True
    assert body["platform"]["output"]["status"] == "released"
    assert body["platform"]["decision"]["outcome"] in ("allow", "allow_with_obligations")
    tampered = bytearray(signed)
    tampered[-12] ^= 0xFF
    body = client.post("/api/v1/provenance/verify/", {"file": _file(bytes(tampered), "shot.jpg")},
                       format="multipart").json()
    assert body["state"] == "Invalid"
    failure = next(f for f in body["failures"] if f["code"] == "assertion.dataHash.mismatch")
    assert "changed after signing" in failure["explanation"]
    assert body["platform"] is None  # a file that fails validation names no record, whatever it claims


def test_verify_a_file_signed_by_someone_else(world, platform_ca, media, tmp_path):
    other = tmp_path / "other-ca"
    pki.pki_create(base=other, org="Elsewhere Post Ltd")
    theirs = tmp_path / "theirs.png"
    sign_output(src=media("png", 3), dst=theirs, mime="image/png", claim=make_claim(media("png", 4, "p")),
                pki_base=other)
    body = client_for(world, "auditor").post("/api/v1/provenance/verify/", upload(theirs), format="multipart").json()
    assert body["state"] == "Valid"
    assert [f["code"] for f in body["failures"]] == ["signingCredential.untrusted"]
    assert body["platform"] is None  # not the platform's certificate: no records are linked
    assert body["registry"]["outputs"] == []
    unsigned = media("png", 5)
    body = client_for(world, "auditor").post("/api/v1/provenance/verify/", upload(unsigned), format="multipart").json()
    assert body["state"] == "NoManifest" and "stripped" in body["failures"][0]["explanation"]


def test_search_by_sha256_and_lookup_by_fingerprint(released, tmp_path):
    r = released("png")
    client = client_for(r.world, "auditor")
    rows = client.get(f"/api/v1/provenance/outputs/?sha256={r.output.sha256}").json()["results"]
    assert [row["id"] for row in rows] == [str(r.output.pk)]
    assert client.get("/api/v1/provenance/outputs/?sha256=" + "0" * 64).json()["results"] == []
    signed = tmp_path / "signed.png"
    signed.write_bytes(r.output.file.read())
    r.output.file.close()
    copy = reencode(signed, tmp_path / "copy.jpg")
    body = client.post("/api/v1/provenance/outputs/lookup/", upload(copy), format="multipart").json()
    assert body["matched_by"] == "fingerprint" and body["outputs"][0]["id"] == str(r.output.pk)
    # A rep of another agency learns nothing about outputs that are not theirs.
    body = client_for(r.world, "other_rep").post("/api/v1/provenance/outputs/lookup/", upload(copy),
                                                 format="multipart").json()
    assert body["outputs"] == [] and body["matched_by"] is None


def test_bundle_download_is_a_zip_that_verifies(released, tmp_path):
    from likeness.provenance import bundle_check

    r = released("mp4")
    response = client_for(r.world, "auditor").get(f"/api/v1/provenance/outputs/{r.output.pk}/bundle/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    path = tmp_path / "b.zip"
    path.write_bytes(response.content)
    assert zipfile.is_zipfile(path)
    problems, notes = bundle_check.check(path)
    assert problems == [], problems


def test_upload_limits_and_bad_notes_are_clear_400s(released, settings):
    r = released("png")
    settings.OUTPUT_UPLOAD_MAX_BYTES = 1000
    client = client_for(r.world, "auditor")
    response = client.post("/api/v1/provenance/verify/", {"file": _file(b"x" * 2000, "big.png")}, format="multipart")
    assert response.status_code == 400 and "limit is 1000 bytes" in str(response.json()["file"])
    response = client.post("/api/v1/provenance/verify/", {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    response = client_for(r.world, "rep").post(f"/api/v1/provenance/outputs/{r.output.pk}/approve/", {"note": ""},
                                                format="json")
    assert response.status_code == 400
    # Approving an output already released is a state error, not a server error.
    response = client_for(r.world, "rep").post(f"/api/v1/provenance/outputs/{r.output.pk}/approve/",
                                                {"note": "again"}, format="json")
    assert response.status_code == 400 and "status" in response.json()


@pytest.mark.parametrize("role", ["vfx", "studio_legal"])
def test_studio_staff_cannot_approve_their_own_output(registered, role):
    r = registered("png")
    response = client_for(r.world, role).post(f"/api/v1/provenance/outputs/{r.output.pk}/approve/",
                                              {"note": "looks fine to us"}, format="json")
    assert response.status_code == 403


def test_a_large_upload_is_hashed_as_it_arrives(world, platform_ca):
    """Above the in-memory limit an upload goes to a temp file, hashed as its chunks arrive; the verification
    report's SHA-256 is that one, and it is the file's."""
    import hashlib
    import os

    data = b"\x89PNG\r\n\x1a\n" + os.urandom(6 * 1024 * 1024)
    body = client_for(world, "auditor").post("/api/v1/provenance/verify/", {"file": _file(data, "big.png")},
                                             format="multipart").json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["size"] == len(data)
