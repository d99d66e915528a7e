"""The output registry: approval, gated signed release, refusals, revocation afterwards, and lookups by hash
and by content fingerprint after the manifest was stripped."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from likeness.audit.models import AuditEvent
from likeness.audit.selectors import audit_chain_verify
from likeness.consent import services as consent
from likeness.provenance.models import OutputStatus
from likeness.provenance.selectors import outputs_by_fingerprint, outputs_by_sha256, verify_upload
from likeness.provenance.services import output_approve, output_decline, output_sign_and_release
from tests.likeness.provenance.conftest import allowed_decision, reencode


def test_release_signs_a_new_file_and_records_it(released):
    r = released("png")
    out = r.output
    assert out.status == OutputStatus.RELEASED and out.released_at and out.manifest_label.startswith("urn:c2pa:")
    assert out.sha256 != out.rendered_sha256
    assert out.signed_by_certificate.active
    assert out.release_decision.allowed and out.release_decision.purpose == "release"
    with out.file.open("rb") as fh:
        result = verify_upload(fh, user=r.world.auditor, name="x.png")
    assert result["state"] == "Trusted"
    links = result["platform"]
    assert links["output"]["id"] == str(out.pk) and links["output"]["status"] == "released"
    assert links["decision"]["id"] == str(out.release_decision_id)
    assert links["grant"]["version"] == r.world.grant.version and links["grant"]["active_now"] is True
    # An auditor engaged on another studio verifies the same file: the signature is still the platform's, but
    # none of this studio's records are named to them, and the registry match reads as no match.
    with out.file.open("rb") as fh:
        outside = verify_upload(fh, user=r.world.other_auditor, name="x.png")
    assert outside["state"] == "Trusted" and outside["platform"]["certificate"]
    assert outside["platform"]["output"] is None and outside["platform"]["decision"] is None
    assert outside["platform"]["grant"] is None
    assert outside["registry"]["matched_by"] is None and outside["registry"]["outputs"] == []
    assert result["registry"]["matched_by"] == "sha256"
    assert [e.action for e in AuditEvent.objects.filter(object_id=str(out.pk))] == [
        "output.registered", "output.approved", "output.released"]
    assert audit_chain_verify().ok


def test_release_refused_without_approval(registered):
    r = registered("png")
    calls = []
    with pytest.raises(ValidationError, match="not been approved"):
        output_sign_and_release(output=r.output, by=r.world.supervisor,
                                regate=lambda: calls.append(1) or allowed_decision(r.world))
    assert calls == []  # refused before the gate even runs
    r.output.refresh_from_db()
    assert r.output.status == OutputStatus.AWAITING_APPROVAL
    assert AuditEvent.objects.filter(object_id=str(r.output.pk), action="output.release_refused").exists()


def test_release_refused_when_the_gate_says_no_now(registered):
    r = registered("png")
    output_approve(output=r.output, by=r.world.counsel, note="fine by counsel")
    with pytest.raises(ValidationError) as err:
        # Depicted age 19 is outside the grant's 25-45: the gate denies, and says so.
        output_sign_and_release(output=r.output, by=r.world.supervisor,
                                regate=lambda: allowed_decision(r.world, depicted_age=19))
    assert "does not allow release now" in str(err.value)
    r.output.refresh_from_db()
    assert r.output.status == OutputStatus.APPROVED and not r.output.manifest_label
    refused = AuditEvent.objects.get(object_id=str(r.output.pk), action="output.release_refused")
    assert refused.data["decision"]  # the refusing decision is on record


def test_only_the_performers_side_approves_and_a_note_is_required(registered):
    r = registered("jpg")
    for user in (r.world.vfx, r.world.studio_legal, r.world.other_rep, r.world.auditor):
        with pytest.raises(PermissionDenied):
            output_approve(output=r.output, by=user, note="ok")
    with pytest.raises(ValidationError, match="say why"):
        output_approve(output=r.output, by=r.world.rep, note="  ")
    declined = output_decline(output=r.output, by=r.world.rep, note="the eyes are wrong in frame 3")
    assert declined.status == OutputStatus.DECLINED
    with pytest.raises(ValidationError):
        output_sign_and_release(output=declined, by=r.world.supervisor, regate=lambda: allowed_decision(r.world))


def test_a_failed_signing_stores_nothing_and_keeps_the_output_approved(registered, settings):
    r = registered("png")
    output_approve(output=r.output, by=r.world.rep, note="approved")
    (settings.PKI_DIR / "active").write_text("deadbeef\n")  # the active key is gone: signing cannot happen
    with pytest.raises(ValidationError):
        output_sign_and_release(output=r.output, by=r.world.supervisor, regate=lambda: allowed_decision(r.world))
    r.output.refresh_from_db()
    assert r.output.status == OutputStatus.APPROVED and r.output.sha256 == r.output.rendered_sha256
    assert not list((settings.MEDIA_ROOT / "outputs").rglob("signed/*"))


def test_revocation_after_release_shows_on_the_record_and_in_verification(released):
    r = released("png")
    consent.grant_revoke(grant=r.world.grant, by=r.world.rep, reason="performer withdrew consent")
    r.output.refresh_from_db()
    assert r.output.status == OutputStatus.RELEASED and r.output.consent_revoked_at
    assert "withdrew" in r.output.consent_note
    with r.output.file.open("rb") as fh:
        result = verify_upload(fh, user=r.world.auditor, name="x.png")
    assert result["state"] == "Trusted"  # the file is still what was signed...
    assert result["platform"]["grant"]["active_now"] is False  # ...but the consent no longer stands
    assert result["platform"]["grant"]["status_now"] == "revoked"
    assert result["platform"]["output"]["consent_revoked_at"]


@pytest.mark.parametrize("ext", ["png", "mp4"])
def test_a_reencoded_output_is_found_by_its_fingerprint(released, tmp_path, ext):
    r = released(ext, seed=1)
    other = released(ext, seed=2)
    signed = tmp_path / f"signed.{ext}"
    with r.output.file.open("rb") as fh:
        signed.write_bytes(fh.read())
    copy = reencode(signed, tmp_path / f"copy.{'jpg' if ext == 'png' else ext}")
    assert not outputs_by_sha256(__import__("hashlib").sha256(copy.read_bytes()).hexdigest()).exists()
    with open(copy, "rb") as fh:
        result = verify_upload(fh, user=r.world.auditor, name=copy.name)
    assert result["state"] == "NoManifest"
    assert result["registry"]["matched_by"] == "fingerprint"
    assert result["registry"]["outputs"][0]["id"] == str(r.output.pk)
    matches = outputs_by_fingerprint(result["registry"]["fingerprint"])
    assert matches[0].output.pk == r.output.pk
    assert all(m.output.pk != other.output.pk for m in matches)
