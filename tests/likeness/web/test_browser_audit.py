"""In a real browser: the performer's counsel approves a rendered output; after release, the auditor verifies the
signed file (Trusted, consent still active), browses the registry, the audit log and the usage report, and
downloads the evidence bundle, which then verifies offline.

The output is real: an aging job submitted through the jobs service, run in this process by the runner on a tiny
trained model, released with job_release (the gate asked again, the file signed with C2PA)."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from likeness.jobs.models import Job, JobState
from likeness.jobs.release import job_release
from likeness.jobs.runner import run_job
from likeness.jobs.submission import job_submit_aging
from likeness.provenance import bundle_check

# ready_model and workers need these two, which the web conftest does not re-export.
from tests.factories import fresh_code
from tests.likeness.web.conftest import password_for

pytestmark = pytest.mark.slow


@pytest.fixture
def rendered_job(live_world, ready_model, footage, workers) -> Job:
    """An aging job rendered and awaiting approval. `workers` gives this test its own broker (no worker is
    started): the submit publishes there, and the job runs here, in-process, through the real runner."""
    call_command("pki_init", "--if-missing")
    w = live_world
    with open(footage.plate, "rb") as handle:
        job = job_submit_aging(performer=w.performer, production=w.production, likeness_model=ready_model,
                               plate=io.BytesIO(handle.read()), plate_name="plate.mp4", target_age=30, by=w.vfx,
                               frame_start=2, frame_end=6)
    assert job.state == JobState.QUEUED, job.state_reason
    result = run_job(str(job.pk), worker="test")
    job.refresh_from_db()
    assert job.state == JobState.AWAITING_APPROVAL, (result, job.state_reason)
    return job


def test_counsel_approves_then_the_auditor_verifies_and_exports_the_bundle(visit, live_world, rendered_job,
                                                                           tmp_path):
    from playwright.sync_api import expect

    w, output = live_world, rendered_job.output
    output_path = f"/outputs/{output.pk}/"

    # 1. The performer's counsel reviews the render and approves it with a note.
    counsel = visit("counsel", password_for("counsel"))
    page = counsel.goto(output_path)
    expect(page.locator("#output-status")).to_have_text("Awaiting approval")
    counsel.shot("output awaiting approval")
    page.get_by_role("button", name="Approve for release").click()  # no note: refused, and said so
    expect(page.locator("#id_note-error")).to_contain_text("say why")
    expect(page.get_by_label("Note for the record")).to_have_attribute("aria-invalid", "true")
    counsel.shot("approval without a note is refused")
    page.get_by_label("Note for the record").fill("Reviewed frame by frame with the performer: approved.")
    page.get_by_label("Authenticator code").fill(fresh_code(w.counsel))
    page.get_by_role("button", name="Approve for release").click()
    expect(page.locator("#output-status")).to_have_text("Approved for release")
    expect(page.get_by_text("Output approved for release.")).to_be_visible()
    expect(page.get_by_role("cell", name="Reviewed frame by frame with the performer: approved.")).to_be_visible()
    counsel.shot("output approved")

    # 2. The studio releases it (the jobs pages are another part; the service is the same one they call).
    job_release(job=rendered_job, by=w.supervisor)
    output.refresh_from_db()
    assert output.status == "released" and output.manifest_label

    # 3. The auditor uploads the released signed file on the verify page.
    auditor = visit("auditor", password_for("auditor"))
    page = auditor.goto("/verify/")
    auditor.shot("verify page")
    page.get_by_label("File to check").set_input_files(output.file.path)
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("[data-state]")).to_have_text("Trusted")
    consent = page.locator("#linked-grant")
    expect(consent.locator("[data-consent]")).to_have_attribute("data-consent", "active")
    expect(consent).to_contain_text("still active")
    expect(consent.get_by_role("link", name=f"grant v{w.grant.version}")).to_have_attribute(
        "href", f"/grants/{w.grant.pk}/")
    expect(page.locator("#linked-output")).to_contain_text(str(rendered_job.pk)[:8])
    expect(page.get_by_role("heading", name="Manifest chain")).to_be_visible()
    auditor.shot("verified trusted with consent active")

    # 4. From the registry to the output page, then the evidence bundle.
    page = auditor.goto(f"/outputs/?sha256={output.sha256}")
    expect(page.get_by_role("link", name=str(output.pk)[:8])).to_be_visible()
    auditor.shot("registry search by sha256")
    page.get_by_role("link", name=str(output.pk)[:8]).click()
    expect(page.locator("#output-status")).to_have_text("Signed and released")
    expect(page.get_by_role("button", name="Approve for release")).to_have_count(0)  # auditors are read-only
    auditor.shot("output page released")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the evidence bundle").click()
    download = info.value
    assert download.suggested_filename == f"evidence-{output.pk}.zip"
    bundle = tmp_path / download.suggested_filename
    download.save_as(bundle)
    problems, notes = bundle_check.check(bundle)
    assert problems == [], problems
    assert any("Trusted" in note for note in notes), notes

    # 5. The audit log (chain intact, the approval on record) and the performer's usage report.
    page = auditor.goto("/audit-log/?action=output.approved")
    expect(page.locator("#chain-status")).to_contain_text("Intact")
    expect(page.get_by_role("cell", name="counsel")).to_be_visible()
    auditor.shot("audit log filtered")
    page = auditor.goto("/usage/")
    page.get_by_label("Performer", exact=True).select_option(label=str(w.performer))
    page.get_by_role("button", name="Show report").click()
    expect(page.get_by_role("heading", name=f"Usage report: {w.performer.legal_name}")).to_be_visible()
    expect(page.get_by_role("link", name=str(output.pk)[:8])).to_be_visible()
    auditor.shot("usage report")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    pdf = tmp_path / "usage.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
