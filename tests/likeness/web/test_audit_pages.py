"""Auditor and output pages through Django's test client: what each page shows, and what it refuses to whom.

Outputs are real: a PNG registered, approved, signed with C2PA Content Credentials and released through the
provenance services, under a CA created in a temporary PKI folder."""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from django.db import connection
from django.test import Client

from likeness.access.scope import audit_events_visible_to
from likeness.audit.models import AuditEvent
from likeness.consent.services import grant_revoke
from likeness.policy.models import Decision
from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make
from likeness.provenance import bundle_check
from likeness.provenance.models import Output
from likeness.provenance.services import output_approve, output_register, output_sign_and_release, pki_initialise
from tests.factories import fresh_code


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def picture(path: Path, seed: int) -> Path:
    """A small picture with structure, so its perceptual fingerprint is distinctive."""
    rng = np.random.default_rng(seed)
    img = np.full((72, 96, 3), 60, np.uint8)
    for _ in range(6):
        x, y = int(rng.integers(0, 70)), int(rng.integers(0, 50))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(8, 26)), y + int(rng.integers(8, 22))),
                      tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
    cv2.imwrite(str(path), img)
    return path


def allowed_decision(world, purpose: str):
    request = gate_request_build(performer=world.performer, production=world.production, use="de_aging",
                                 depicted_age=30, media=["theatrical"], territories=["US"],
                                 replica_types=["digital_alteration"])
    decision = decision_make(request=request, performer=world.performer, production=world.production,
                             purpose=purpose, by=world.vfx)
    assert decision.allowed, decision.explanation
    return decision


@pytest.fixture
def outputs(world, make_grant, settings, tmp_path) -> SimpleNamespace:
    """One output awaiting approval and one signed and released, made through the services."""
    settings.PKI_DIR = tmp_path / "pki"
    settings.TSA_URL = ""
    pki_initialise()
    world.grant = make_grant()

    def register(seed: int) -> Output:
        rendered = picture(tmp_path / f"render-{seed}.png", seed)
        plate = picture(tmp_path / f"plate-{seed}.png", seed + 100)
        return output_register(job_ref="", decision=allowed_decision(world, "submit"), performer=world.performer,
                               production=world.production, local_file=rendered, mime="image/png", by=None,
                               likeness_model_id="m-1", likeness_model_weights_sha256="b" * 64,
                               parameters={"target_age": 30}, source_plate=plate, source_plate_mime="image/png")

    waiting = register(1)
    released = register(2)
    output_approve(output=released, by=world.rep, note="reviewed with the performer")
    released = output_sign_and_release(output=released, by=world.supervisor,
                                       regate=lambda: allowed_decision(world, "release"))
    return SimpleNamespace(world=world, waiting=waiting, released=released, tmp=tmp_path)


def upload(path: Path, name: str | None = None) -> io.BytesIO:
    handle = io.BytesIO(path.read_bytes())
    handle.name = name or path.name
    return handle


# --- verification -----------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("who", ["rep", "vfx", "studio_admin"])
def test_verify_is_for_auditors_only(world, who):
    response = signed_in(getattr(world, who)).get("/verify/")
    assert response.status_code == 403
    assert "Only auditors may verify files" in response.content.decode()


@pytest.mark.django_db
def test_verify_without_a_file_is_a_form_error(world):
    response = signed_in(world.auditor).post("/verify/", {})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Choose a file to check." in text
    assert 'aria-invalid="true"' in text and 'id="id_file-error"' in text


@pytest.mark.django_db
def test_verify_explains_a_file_without_credentials(world, tmp_path):
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"not an image at all\n" * 50)
    response = signed_in(world.auditor).post("/verify/", {"file": upload(garbage)})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-state="NoManifest"' in text or 'data-state="Unreadable"' in text
    assert "What failed, and what it means" in text
    assert "No registered output matches this file" in text

    plain = picture(tmp_path / "plain.png", 7)  # a real picture, never signed
    text = signed_in(world.auditor).post("/verify/", {"file": upload(plain)}).content.decode()
    assert 'data-state="NoManifest"' in text
    assert "claim.missing" in text or "manifest" in text.lower()


@pytest.mark.django_db
def test_verify_a_released_file_links_the_consent_and_says_if_it_is_still_active(outputs):
    w, released = outputs.world, outputs.released
    auditor = signed_in(w.auditor)
    text = auditor.post("/verify/", {"file": upload(Path(released.file.path))}).content.decode()
    assert 'data-state="Trusted"' in text
    assert 'data-consent="active"' in text and "still active" in text
    assert f"/grants/{w.grant.pk}/" in text and f"/outputs/{released.pk}/" in text
    assert "Manifest chain" in text and "Ingredient:" in text and "c2pa.actions" in text
    assert released.manifest_label in text
    assert "Found by exact SHA-256." in text

    grant_revoke(grant=w.grant, by=w.counsel, reason="the performer withdrew consent")
    text = auditor.post("/verify/", {"file": upload(Path(released.file.path))}).content.decode()
    assert 'data-state="Trusted"' in text  # the file is still what it was
    assert 'data-consent="revoked"' in text and "no longer active" in text
    assert "the performer withdrew consent" in text


@pytest.mark.django_db
def test_verify_a_tampered_file_names_the_failure(outputs):
    data = bytearray(Path(outputs.released.file.path).read_bytes())
    # Flip bytes inside the image data (IDAT), not the manifest: the content no longer matches its hash.
    at = data.index(b"IDAT") + 20
    data[at:at + 4] = bytes(b ^ 0xFF for b in data[at:at + 4])
    tampered = outputs.tmp / "tampered.png"
    tampered.write_bytes(bytes(data))
    text = signed_in(outputs.world.auditor).post("/verify/", {"file": upload(tampered)}).content.decode()
    assert 'data-state="Invalid"' in text
    assert "changed after signing" in text
    # What a tampered manifest names is not evidence: no record is linked (the registry may still find the
    # genuine output by its content).
    assert "No platform records" in text and "Signed by this platform: the records it names" not in text


# --- the output registry and the output page --------------------------------------------------------------------

@pytest.mark.django_db
def test_output_registry_lists_what_each_user_may_see(outputs):
    w = outputs.world
    text = signed_in(w.rep).get("/outputs/").content.decode()
    assert str(outputs.waiting.pk)[:8] in text and str(outputs.released.pk)[:8] in text
    text = signed_in(w.other_rep).get("/outputs/").content.decode()
    assert str(outputs.released.pk)[:8] not in text and "No outputs." in text


@pytest.mark.django_db
def test_output_registry_search_by_sha256(outputs):
    auditor = signed_in(outputs.world.auditor)
    text = auditor.get("/outputs/", {"sha256": outputs.released.sha256.upper()}).content.decode()
    assert str(outputs.released.pk)[:8] in text and str(outputs.waiting.pk)[:8] not in text
    # The unsigned render's hash finds the released output too (a leaked render).
    text = auditor.get("/outputs/", {"sha256": outputs.released.rendered_sha256}).content.decode()
    assert str(outputs.released.pk)[:8] in text
    text = auditor.get("/outputs/", {"sha256": "abc"}).content.decode()
    assert "exactly 64 hexadecimal characters" in text
    text = auditor.get("/outputs/", {"sha256": "0" * 64}).content.decode()
    assert "No output you may see has that SHA-256" in text


@pytest.mark.django_db
def test_output_lookup_by_file_and_by_fingerprint_when_the_manifest_is_stripped(outputs):
    auditor = signed_in(outputs.world.auditor)  # a POST that only reads: open to auditors
    response = auditor.post("/outputs/", {"file": upload(Path(outputs.released.file.path))})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Found by exact SHA-256." in text and f"/outputs/{outputs.released.pk}/" in text

    # Decoded and saved again as JPEG: new bytes, no manifest, same picture.
    copy = outputs.tmp / "copy.jpg"
    cv2.imwrite(str(copy), cv2.imread(outputs.released.file.path), [cv2.IMWRITE_JPEG_QUALITY, 85])
    text = auditor.post("/outputs/", {"file": upload(copy)}).content.decode()
    assert "Found by content fingerprint" in text and f"/outputs/{outputs.released.pk}/" in text

    response = auditor.post("/outputs/", {})
    assert response.status_code == 400 and "Choose a file to check." in response.content.decode()


@pytest.mark.django_db
def test_output_page_shows_the_record_and_review_form_to_the_performers_rep(outputs):
    w = outputs.world
    text = signed_in(w.rep).get(f"/outputs/{outputs.waiting.pk}/").content.decode()
    assert "Awaiting approval" in text and outputs.waiting.sha256 in text
    assert f"/grants/{w.grant.pk}/" in text
    assert "Approve for release" in text and 'name="note"' in text
    assert "output.registered" in text
    assert "Download the rendered file (unsigned, for review)" in text
    assert "evidence bundle" not in text.lower()

    text = signed_in(w.rep).get(f"/outputs/{outputs.released.pk}/").content.decode()
    assert outputs.released.manifest_label in text and "output.approved" in text and "reviewed with the performer" in text
    assert "Download the evidence bundle" in text and "Download the signed file" in text
    assert "Approve for release" not in text  # released: nothing to review


@pytest.mark.django_db
def test_output_page_is_not_found_for_another_agency(outputs):
    assert signed_in(outputs.world.other_rep).get(f"/outputs/{outputs.released.pk}/").status_code == 404


@pytest.mark.django_db
def test_decline_without_a_note_is_refused_and_approve_with_one_works(outputs):
    w, waiting = outputs.world, outputs.waiting
    rep = signed_in(w.counsel)
    response = rep.post(f"/outputs/{waiting.pk}/review/", {"verdict": "decline", "note": "  "})
    assert response.status_code == 400
    assert "say why (the note is part of the record)" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "awaiting_approval"

    response = rep.post(f"/outputs/{waiting.pk}/review/", {"verdict": "approve", "note": "checked with the talent",
                                                           "otp_code": fresh_code(w.counsel)},
                        follow=True)
    assert response.redirect_chain[-1][0] == f"/outputs/{waiting.pk}/"
    assert "Output approved for release." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "approved" and waiting.approved_by == w.counsel
    assert AuditEvent.objects.filter(action="output.approved", object_id=str(waiting.pk)).exists()

    # Approving twice is refused by the service, and said so on the page.
    response = rep.post(f"/outputs/{waiting.pk}/review/", {"verdict": "approve", "note": "again"})
    assert response.status_code == 400 and "only an output awaiting approval can be approved" in \
        response.content.decode()


@pytest.mark.django_db
def test_auditors_are_read_only_on_review(outputs):
    w = outputs.world
    text = signed_in(w.auditor).get(f"/outputs/{outputs.waiting.pk}/").content.decode()
    assert "Approve for release" not in text
    response = signed_in(w.auditor).post(f"/outputs/{outputs.waiting.pk}/review/",
                                         {"verdict": "approve", "note": "I am an auditor"})
    assert response.status_code == 403
    assert "Auditors have read-only access" in response.content.decode()
    outputs.waiting.refresh_from_db()
    assert outputs.waiting.status == "awaiting_approval"


@pytest.mark.django_db
def test_studio_staff_cannot_approve_for_the_performer(outputs):
    response = signed_in(outputs.world.vfx).post(f"/outputs/{outputs.waiting.pk}/review/",
                                                 {"verdict": "approve", "note": "looks fine to me"})
    assert response.status_code == 403
    assert "only a talent rep or legal of an organisation representing the performer" in response.content.decode()


@pytest.mark.django_db
def test_evidence_bundle_download_verifies(outputs, tmp_path):
    w = outputs.world
    response = signed_in(w.auditor).get(f"/outputs/{outputs.released.pk}/bundle/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}
    path = tmp_path / "bundle.zip"
    path.write_bytes(response.content)
    assert "record.json" in zipfile.ZipFile(path).namelist()
    problems, notes = bundle_check.check(path)
    assert problems == [], problems
    # Studio staff see the output but bundles are for auditors and the performer's side (the API's rule).
    assert signed_in(w.vfx).get(f"/outputs/{outputs.released.pk}/bundle/").status_code == 403
    # No bundle before release: said on the output page.
    response = signed_in(w.rep).get(f"/outputs/{outputs.waiting.pk}/bundle/", follow=True)
    assert "only a signed, released output has an evidence bundle" in response.content.decode()


@pytest.mark.django_db
def test_file_download_for_those_who_see_the_output(outputs):
    w, released = outputs.world, outputs.released
    response = signed_in(w.rep).get(f"/outputs/{released.pk}/file/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == Path(released.file.path).read_bytes()
    assert "signed" in response["Content-Disposition"]
    assert signed_in(w.other_rep).get(f"/outputs/{released.pk}/file/").status_code == 404


# --- audit log --------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_audit_log_is_for_auditors(outputs):
    for who in ("rep", "vfx", "studio_admin"):
        assert signed_in(getattr(outputs.world, who)).get("/audit-log/").status_code == 403


@pytest.mark.django_db
def test_audit_log_lists_newest_first_with_filters_and_chain_status(outputs):
    auditor = signed_in(outputs.world.auditor)
    response = auditor.get("/audit-log/")
    assert response.status_code == 200
    text = response.content.decode()
    # The chain's status is about the whole table; the list holds the events the engagement covers.
    assert "Intact" in text and f"All {AuditEvent.objects.count()} events" in text
    covered = audit_events_visible_to(outputs.world.auditor)
    newest = covered.order_by("-seq").first()
    assert text.index(f"<td>{newest.seq}</td>") < text.index("<td>1</td>")

    text = auditor.get("/audit-log/", {"action": "output.approved"}).content.decode()
    assert text.count("<code>output.approved</code>") == 1 and "output.registered</code></td>" not in text
    text = auditor.get("/audit-log/", {"object_type": "provenance.output",
                                       "object_id": str(outputs.waiting.pk)}).content.decode()
    assert "1 of" in text and "output.registered" in text
    text = auditor.get("/audit-log/", {"actor": "rep", "action": "output.approved"}).content.decode()
    assert "1 of" in text
    today = outputs.released.released_at.date()
    text = auditor.get("/audit-log/", {"date_from": today.isoformat(), "date_to": today.isoformat()}).content.decode()
    assert f"{covered.count()} of" in text
    # Tally & Co audits the other studio only: none of this studio's events reach it.
    other = signed_in(outputs.world.other_auditor).get("/audit-log/", {"action": "output.approved"}).content.decode()
    assert "<code>output.approved</code>" not in other


@pytest.mark.django_db
def test_audit_log_inverted_date_range_is_a_clear_error(world):
    text = signed_in(world.auditor).get("/audit-log/", {"date_from": "2026-03-10", "date_to": "2026-03-01"}) \
        .content.decode()
    assert "The end date (2026-03-01) is before the start date (2026-03-10)" in text
    assert "Fix the filters above to see events." in text
    assert 'id="id_date_to-error"' in text


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="tampering lifts SQLite's append-only trigger")
def test_audit_log_names_the_first_bad_event_when_the_chain_is_broken(world):
    target = AuditEvent.objects.order_by("seq")[2]
    with connection.cursor() as cur:
        # Inside the test's transaction: rolled back, trigger and all, when the test ends.
        cur.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        cur.execute("UPDATE audit_auditevent SET data = '{\"forged\": true}' WHERE id = %s", [target.pk])
    text = signed_in(world.auditor).get("/audit-log/").content.decode()
    assert "Broken" in text and f"event #{target.seq}" in text and "was edited" in text


# --- usage reports ----------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_usage_report_for_auditors_and_the_performers_reps(outputs):
    w = outputs.world
    for who in ("auditor", "rep", "counsel"):
        response = signed_in(getattr(w, who)).get("/usage/", {"performer": w.performer.pk}, follow=True)
        assert response.redirect_chain[-1][0] == f"/usage/{w.performer.pk}/"
        text = response.content.decode()
        assert "Usage report: Avery Quinn" in text
        assert str(outputs.released.pk)[:8] in text and w.grant.label in text and "reviewed with the performer" in text
        assert "Download CSV" in text and "Download PDF" in text


@pytest.mark.django_db
def test_usage_report_refuses_other_roles_and_other_agencies(outputs):
    w = outputs.world
    assert signed_in(w.vfx).get("/usage/").status_code == 403
    other = signed_in(w.other_rep)
    assert other.get(f"/usage/{w.performer.pk}/").status_code == 404
    assert other.get(f"/usage/{w.performer.pk}/report.csv").status_code == 404
    assert other.get(f"/usage/{w.performer.pk}/report.pdf").status_code == 404
    assert other.get("/usage/", {"performer": w.performer.pk}).status_code == 404
    assert "Avery Quinn" not in other.get("/usage/").content.decode()


@pytest.mark.django_db
def test_usage_csv_holds_every_record_with_the_grant_relied_on(outputs):
    w = outputs.world
    response = signed_in(w.auditor).get(f"/usage/{w.performer.pk}/report.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    kinds = {r["record"] for r in rows}
    assert {"decision", "output"} <= kinds
    by_id = {r["id"]: r for r in rows}
    released = by_id[str(outputs.released.pk)]
    assert released["outcome"] == "released" and released["grants"] == w.grant.label
    assert "approved by rep: reviewed with the performer" in released["detail"]
    decisions = [r for r in rows if r["record"] == "decision"]
    assert len(decisions) == Decision.objects.filter(performer=w.performer).count() == 3  # 2 renders, 1 release
    assert all(r["grants"] == w.grant.label for r in decisions)
    assert {r["outcome"] for r in decisions} <= {"allow", "allow_with_obligations"}


@pytest.mark.django_db
def test_usage_pdf_is_a_pdf(outputs):
    w = outputs.world
    response = signed_in(w.rep).get(f"/usage/{w.performer.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Avery Quinn" in text and "released" in text


@pytest.mark.django_db
def test_usage_pdf_without_a_unicode_font_falls_back_to_latin1(outputs, monkeypatch):
    from likeness.reports import usage as usage_reports

    # A host without DejaVu: the PDF core font is used and characters beyond Latin-1 are replaced, not fatal.
    monkeypatch.setattr(usage_reports, "UNICODE_FONTS", (Path("/nonexistent/font.ttf"),))
    response = signed_in(outputs.world.auditor).get(f"/usage/{outputs.world.performer.pk}/report.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
