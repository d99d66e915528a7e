"""The VFX job pages through Django's test client: request forms with the gate's pre-flight, the job list and
page, cancelling, the review player's frame route, and every refusal (wrong role, auditors, other studios)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from likeness.jobs.models import Job, JobKind, JobState, LikenessModel, ModelStatus
from likeness.jobs.submission import job_submit_aging
from likeness.policy.models import Decision
from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def aging_post(w, plate: Path | SimpleUploadedFile, **extra) -> dict:
    upload = plate if isinstance(plate, SimpleUploadedFile) else SimpleUploadedFile(
        plate.name, plate.read_bytes(), content_type="video/mp4")
    return {"performer": w.performer.pk, "production": w.production.pk, "likeness_model": str(w.model.pk),
            "plate": upload, "frame_start": 0, "frame_end": "", "target_age": 30, **extra}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# ----- request forms --------------------------------------------------------------------------------------

def test_training_form_lists_the_chosen_performers_reference_material(studio):
    page = text(signed_in(studio.vfx).get(f"/jobs/new/training/?performer={studio.performer.pk}"))
    assert "Request a training job" in page
    for ref in studio.references:
        assert f"{ref.title} ({ref.year}; age {ref.performer_age})" in page
    assert 'name="reference_materials"' in page and "<legend>Reference material</legend>" in page
    assert "Pre-flight" in page


def test_a_training_request_creates_a_queued_job(studio):
    response = signed_in(studio.vfx).post("/jobs/new/training/", {
        "performer": studio.performer.pk, "production": studio.production.pk,
        "reference_materials": [r.pk for r in studio.references], "size": "tiny"})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.kind == JobKind.TRAINING and job.state == JobState.QUEUED
    assert set(job.reference_materials.all()) == set(studio.references)


def test_a_training_request_without_material_is_refused_beside_the_field(studio):
    response = signed_in(studio.vfx).post("/jobs/new/training/", {
        "performer": studio.performer.pk, "production": studio.production.pk, "size": "tiny"})
    assert response.status_code == 400 and not Job.objects.exists()
    page = text(response)
    assert 'id="id_reference_materials-error"' in page and "Choose at least one piece of reference material" in page


@pytest.mark.parametrize("path", ["/jobs/new/training/", "/jobs/new/aging/", "/jobs/preflight/aging/"])
@pytest.mark.parametrize("who", ["rep", "counsel", "auditor", "studio_admin"])
def test_request_forms_refuse_non_vfx_staff_with_a_clear_403(world, path, who):
    response = signed_in(getattr(world, who)).get(path)
    assert response.status_code == 403
    assert "Only VFX artists and supervisors may" in text(response)


def test_auditors_are_refused_on_every_post(studio):
    client = signed_in(studio.auditor)
    job = Job.objects.create(kind=JobKind.TRAINING, performer=studio.performer, production=studio.production,
                             requested_by=studio.vfx, state=JobState.QUEUED, params={"size": "tiny"})
    for url in ("/jobs/new/training/", "/jobs/new/aging/", f"/jobs/{job.pk}/cancel/"):
        response = client.post(url, {"performer": studio.performer.pk})
        assert response.status_code == 403, url
        assert "Auditors have read-only access" in text(response)
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    assert signed_in(studio.auditor).get(f"/jobs/{job.pk}/").status_code == 200  # reading stays open


def test_the_aging_form_offers_only_ready_models_of_the_performer(studio):
    LikenessModel.objects.create(performer=studio.performer, size="tiny", grant=studio.grant,
                                 decision=studio.model.decision, status=ModelStatus.QUARANTINED)
    page = text(signed_in(studio.vfx).get(f"/jobs/new/aging/?performer={studio.performer.pk}"))
    assert page.count('<option value="' + str(studio.model.pk) + '"') == 1
    assert page.count("tiny model") == 1
    assert "MP4 or MOV video, at most" in page


def test_an_inverted_frame_range_is_refused_with_a_clear_message(studio, footage):
    response = signed_in(studio.vfx).post("/jobs/new/aging/", aging_post(studio, footage.plate, frame_start=8,
                                                                          frame_end=3))
    assert response.status_code == 400 and not Job.objects.exists()
    page = text(response)
    assert "the frame range 8-3 is inverted or empty: the end frame must come after the first frame (8)" in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="id_frame_end-help id_frame_end-error"' in page


def test_a_range_past_the_end_of_the_plate_is_refused_by_the_service(studio, footage):
    response = signed_in(studio.vfx).post("/jobs/new/aging/", aging_post(studio, footage.plate, frame_end=500))
    assert response.status_code == 400 and not Job.objects.exists()
    assert "the plate has 12 frames" in text(response)


def test_a_file_that_is_not_a_video_is_refused(studio, footage):
    client = signed_in(studio.vfx)
    response = client.post("/jobs/new/aging/", aging_post(studio, footage.not_a_video))
    assert response.status_code == 400 and not Job.objects.exists()
    assert "not a readable video" in text(response)
    named = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = client.post("/jobs/new/aging/", aging_post(studio, named))
    assert response.status_code == 400 and "notes.txt is not an MP4 or MOV video file" in text(response)


def test_the_plate_size_limit_comes_from_settings(studio, footage, settings):
    settings.PLATE_UPLOAD_MAX_BYTES = 1000
    response = signed_in(studio.vfx).post("/jobs/new/aging/", aging_post(studio, footage.plate))
    assert response.status_code == 400 and "the limit is 1.0 kB" in text(response)


def test_an_aging_request_the_gate_denies_is_stored_and_shown(studio, footage):
    response = signed_in(studio.vfx).post("/jobs/new/aging/", aging_post(studio, footage.plate, target_age=19))
    job = Job.objects.get()
    assert response.status_code == 302 and job.state == JobState.DENIED
    page = text(signed_in(studio.vfx).get(f"/jobs/{job.pk}/"))
    assert "Denied by the gate" in page and "19" in page and "25-45" in page
    assert "hx-trigger" not in page.split('id="job-live"', 1)[1].split(">", 1)[0]  # settled: no polling


def test_an_allowed_aging_request_is_queued(studio, footage):
    response = signed_in(studio.vfx).post("/jobs/new/aging/", aging_post(studio, footage.plate, frame_start=2,
                                                                          frame_end=10))
    job = Job.objects.get()
    assert response.status_code == 302 and job.state == JobState.QUEUED
    assert job.params["frames"] == 8 and job.params["target_age"] == 30


def test_the_form_offers_the_output_codecs_and_the_choice_reaches_the_job(studio, footage):
    page = text(signed_in(studio.vfx).get("/jobs/new/aging/"))
    assert "H.264 review copy" in page and "Lossless H.264 in RGB" in page
    signed_in(studio.vfx).post("/jobs/new/aging/", aging_post(studio, footage.plate, codec="h264-lossless"))
    job = Job.objects.get()
    assert job.params["codec"] == "h264-lossless"
    assert "lossless H.264 (RGB)" in text(signed_in(studio.vfx).get(f"/jobs/{job.pk}/"))
    refused = signed_in(studio.vfx).post("/jobs/new/aging/", aging_post(studio, footage.plate, codec="dnxhd"))
    assert refused.status_code == 400 and "dnxhd" in text(refused)
    assert Job.objects.count() == 1


def test_the_planned_use_travels_to_the_gate(studio, footage):
    """The Commercials agreement compares the planned use with the description the performer was given: the
    form's "Planned use" reaches the job and every gate check of it."""
    signed_in(studio.vfx).post("/jobs/new/aging/", aging_post(studio, footage.plate,
                                                              use_description="  a spot for the trailer  "))
    job = Job.objects.get()
    assert job.params["use_description"] == "a spot for the trailer"
    assert job.submit_decision.request["use_description"] == "a spot for the trailer"


# ----- pre-flight ---------------------------------------------------------------------------------------------

def preflight(w, **extra) -> str:
    query = {"performer": w.performer.pk, "production": w.production.pk, "likeness_model": str(w.model.pk),
             "target_age": 30, **extra}
    return text(signed_in(w.vfx).get("/jobs/preflight/aging/", query, HTTP_HX_REQUEST="true"))


def test_preflight_denial_names_the_failing_dimension_and_stores_nothing(studio):
    decisions = Decision.objects.count()
    page = preflight(studio, target_age=19)
    assert 'data-outcome="deny"' in page and "The gate would deny this request" in page
    assert "19" in page and "25-45" in page
    assert "<html" not in page  # the htmx answer is the fragment only
    assert Decision.objects.count() == decisions and not Job.objects.exists()


def test_preflight_allows_a_covered_request_and_lists_the_rules(studio):
    page = preflight(studio, target_age=30)
    assert re.search(r'data-outcome="allow(_with_obligations)?"', page)
    assert "The gate would allow this request" in page and "Rules checked" in page


def test_preflight_matches_what_the_submission_decides(studio, footage):
    """The pre-flight builds the gate request exactly as a submission does: same outcome, same explanation."""
    for age in (19, 30, 44):
        page = preflight(studio, target_age=age)
        with open(footage.plate, "rb") as handle:
            job = job_submit_aging(performer=studio.performer, production=studio.production,
                                   likeness_model=studio.model, plate=handle, plate_name="plate.mp4",
                                   target_age=age, by=studio.vfx)
        assert f'data-outcome="{job.submit_decision.outcome}"' in page, age
        assert re.sub(r"\s+", " ", job.submit_decision.explanation) in page.replace("&#x27;", "'").replace(
            "&quot;", '"'), age


def test_preflight_asks_for_what_is_missing(studio):
    page = preflight(studio, likeness_model="", target_age="")
    assert "Not checked yet" in page and "Choose a model, a target age" in page


def test_preflight_without_javascript_renders_the_whole_form(studio):
    page = text(signed_in(studio.vfx).get("/jobs/preflight/training/", {
        "performer": studio.performer.pk, "production": studio.production.pk}))
    assert "Request a training job" in page and "The gate would allow this request" in page


# ----- list, page, live panel, cancel ------------------------------------------------------------------------

def test_the_job_list_filters_by_state(studio):
    queued = Job.objects.create(kind=JobKind.TRAINING, performer=studio.performer, production=studio.production,
                                requested_by=studio.vfx, state=JobState.QUEUED)
    denied = Job.objects.create(kind=JobKind.TRAINING, performer=studio.performer, production=studio.production,
                                requested_by=studio.vfx, state=JobState.DENIED)
    client = signed_in(studio.vfx)
    everything = text(client.get("/jobs/"))
    assert str(queued.pk)[:8] in everything and str(denied.pk)[:8] in everything
    only_denied = text(client.get("/jobs/?state=denied"))
    assert str(denied.pk)[:8] in only_denied and str(queued.pk)[:8] not in only_denied
    assert str(queued.pk)[:8] not in text(signed_in(studio.other_vfx).get("/jobs/"))


def test_another_studios_job_is_not_found(studio):
    job = Job.objects.create(kind=JobKind.TRAINING, performer=studio.performer, production=studio.production,
                             requested_by=studio.vfx, state=JobState.QUEUED)
    client = signed_in(studio.other_vfx)
    for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/live/", f"/jobs/{job.pk}/review/",
                f"/jobs/{job.pk}/frames/plate/0.jpg"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 404
    job.refresh_from_db()
    assert job.state == JobState.QUEUED


def test_the_live_panel_polls_while_running_and_shows_progress(studio):
    job = Job.objects.create(kind=JobKind.AGING, performer=studio.performer, production=studio.production,
                             requested_by=studio.vfx, state=JobState.RUNNING, stage="aging", progress_done=3,
                             progress_total=12, eta_seconds=42, likeness_model=studio.model,
                             params={"target_age": 30, "frame_start": 0, "frame_end": 12, "frames": 12})
    live = text(signed_in(studio.vfx).get(f"/jobs/{job.pk}/live/"))
    assert f'hx-get="/jobs/{job.pk}/live/" hx-trigger="every 1s"' in live
    assert 'value="25"' in live and "3 / 12 (25%)" in live and "about 42 s" in live and "aging" in live
    assert "Cancel the job" in live
    assert "{#" not in live and "{%" not in live  # no template comment leaks into the swapped fragment
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, state_reason="the worker ran out of memory")
    live = text(signed_in(studio.vfx).get(f"/jobs/{job.pk}/live/"))
    assert "hx-trigger" not in live and "the worker ran out of memory" in live and "Cancel the job" not in live


def test_a_long_render_folds_its_chunk_rechecks(studio):
    job = Job.objects.create(kind=JobKind.TRAINING, performer=studio.performer, production=studio.production,
                             requested_by=studio.vfx, state=JobState.RUNNING)
    job.decisions.set([studio.model.decision] + [
        decision_make(request=gate_request_build(performer=studio.performer, production=studio.production,
                                                 use="training", replica_types=["icdr"]),
                      performer=studio.performer, production=studio.production, purpose="chunk", by=None)
        for _ in range(8)])
    live = text(signed_in(studio.vfx).get(f"/jobs/{job.pk}/live/"))
    assert "3 earlier re-checks not shown" in live and live.count('class="decision ') == 6


def test_the_requester_cancels_a_queued_job(studio):
    job = Job.objects.create(kind=JobKind.TRAINING, performer=studio.performer, production=studio.production,
                             requested_by=studio.vfx, state=JobState.QUEUED)
    client = signed_in(studio.vfx)
    response = client.post(f"/jobs/{job.pk}/cancel/", {"reason": "wrong plate"}, follow=True)
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.state_reason == "wrong plate"
    assert "The job was cancelled." in text(response)
    again = client.post(f"/jobs/{job.pk}/cancel/", follow=True)
    assert "it can no longer be cancelled" in text(again)


def test_a_rep_sees_their_performers_job_but_cannot_cancel_it(studio):
    job = Job.objects.create(kind=JobKind.TRAINING, performer=studio.performer, production=studio.production,
                             requested_by=studio.vfx, state=JobState.QUEUED)
    client = signed_in(studio.rep)
    page = text(client.get(f"/jobs/{job.pk}/"))
    assert "Cancel the job" not in page
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 403


# ----- review player and its frames ---------------------------------------------------------------------------

@pytest.fixture
def rendered(studio, footage, tmp_path) -> Job:
    """An aging job of plate frames 2-10 whose 'output' is plate frames 2-10 re-encoded with a visible mark (the
    engine is not needed to test the player)."""
    from fractions import Fraction

    import numpy as np

    from engine.media import FrameWriter, read_all
    from likeness.provenance.services import output_register

    with open(footage.plate, "rb") as handle:
        job = job_submit_aging(performer=studio.performer, production=studio.production, likeness_model=studio.model,
                               plate=handle, plate_name="plate.mp4", target_age=30, by=studio.vfx,
                               frame_start=2, frame_end=10)
    frames = read_all(footage.plate)[2:10]
    out = tmp_path / "out.mp4"
    with FrameWriter(out, width=192, height=192, fps=Fraction(24)) as writer:
        for frame in frames:
            marked = frame.copy()
            marked[:20, :20] = np.array([255, 0, 0], dtype=np.uint8)
            writer.write(marked)
    output = output_register(decision=job.submit_decision, performer=studio.performer, production=studio.production,
                             local_file=out, mime="video/mp4", by=None, job_ref=str(job.pk), fingerprint_now=False,
                             source_sha256=job.plate_sha256, source_plate=job.plate.name, source_plate_mime="video/mp4")
    Job.objects.filter(pk=job.pk).update(state=JobState.AWAITING_APPROVAL, output=output)
    job.refresh_from_db()
    return job


def jpeg(response):
    import cv2
    import numpy as np

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    return cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)


def test_the_review_page_offers_side_by_side_and_wipe(studio, rendered):
    page = text(signed_in(studio.vfx).get(f"/jobs/{rendered.pk}/review/?frame=3&mode=wipe&wipe=30"))
    assert f'src="/jobs/{rendered.pk}/frames/plate/3.jpg"' in page
    assert f'src="/jobs/{rendered.pk}/frames/output/3.jpg"' in page
    assert 'id="wipe" min="0" max="100" step="1" value="30"' in page and "--wipe: 30%" in page
    assert 'id="frame-number" min="0" max="7" value="3"' in page and "Plate frame = frame + 2" in page
    assert 'href="?frame=2&amp;mode=wipe' in page and 'href="?frame=4&amp;mode=wipe' in page
    assert "Review the output against the plate" in text(signed_in(studio.vfx).get(f"/jobs/{rendered.pk}/"))


def test_frames_are_served_as_jpeg_within_the_rendered_range(studio, rendered, footage):
    from engine.media import read_all

    client = signed_in(studio.vfx)
    plate = read_all(footage.plate)
    for n in (0, 5, 7):
        image = jpeg(client.get(f"/jobs/{rendered.pk}/frames/plate/{n}.jpg"))
        assert image.shape == (192, 192, 3)
        expected = plate[n + 2][:, :, ::-1].astype(int)  # RGB -> BGR; the plate frame the output frame came from
        assert abs(image.astype(int) - expected).mean() < 6, n
        output = jpeg(client.get(f"/jobs/{rendered.pk}/frames/output/{n}.jpg"))
        assert output[5:15, 5:15, 2].mean() > 200 and output[5:15, 5:15, 0].mean() < 60  # the red mark (BGR)
    for url in (f"/jobs/{rendered.pk}/frames/plate/8.jpg", f"/jobs/{rendered.pk}/frames/output/99.jpg",
                f"/jobs/{rendered.pk}/frames/weights/0.jpg"):
        assert client.get(url).status_code == 404, url
    assert signed_in(studio.auditor).get(f"/jobs/{rendered.pk}/frames/output/0.jpg").status_code == 200
    assert signed_in(studio.other_vfx).get(f"/jobs/{rendered.pk}/frames/output/0.jpg").status_code == 404
    assert Client().get(f"/jobs/{rendered.pk}/frames/output/0.jpg").status_code == 302  # sign-in first


def test_a_training_job_has_no_review_player(studio):
    job = Job.objects.create(kind=JobKind.TRAINING, performer=studio.performer, production=studio.production,
                             requested_by=studio.vfx, state=JobState.COMPLETED)
    assert signed_in(studio.vfx).get(f"/jobs/{job.pk}/review/").status_code == 404


def test_the_web_process_never_imports_torch():
    import subprocess
    import sys

    code = ("import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'likeness.settings'); "
            "django.setup(); import likeness.web.views.jobs, likeness.web.forms.jobs, cv2, av; "
            "import likeness.urls; sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


# ----- the player on the output's page, approval of what was watched, release in the browser --------------------

def test_the_output_page_embeds_the_player_for_the_performers_side(studio, rendered):
    output = rendered.output
    page = text(signed_in(studio.counsel).get(f"/outputs/{output.pk}/?mode=difference"))
    assert f'src="/outputs/{output.pk}/frames/plate/0.jpg"' in page and 'data-fps="24"' in page
    assert 'value="difference" checked' in page and "▶ Play" in page
    assert f'name="watched_sha256" value="{output.sha256}"' in page
    # The output's own frame route, for whoever may see the output.
    counsel = signed_in(studio.counsel)
    plate = jpeg(counsel.get(f"/outputs/{output.pk}/frames/plate/0.jpg"))
    aged = jpeg(counsel.get(f"/outputs/{output.pk}/frames/output/0.jpg"))
    difference = jpeg(counsel.get(f"/outputs/{output.pk}/frames/difference/0.jpg"))
    assert plate.shape == aged.shape == difference.shape
    # The only change is the marked corner: bright there, near black elsewhere (JPEG noise only).
    assert difference[2:18, 2:18].mean() > 100 and difference[40:, 40:].mean() < 25
    for who in ("other_rep", "other_vfx", "other_legal"):
        assert signed_in(getattr(studio, who)).get(f"/outputs/{output.pk}/frames/plate/0.jpg").status_code == 404
    assert counsel.get(f"/outputs/{output.pk}/frames/plate/99.jpg").status_code == 404
    assert counsel.get(f"/outputs/{output.pk}/frames/elsewhere/0.jpg").status_code == 404


def test_approval_records_the_version_watched_and_refuses_another(studio, rendered):
    from likeness.audit.models import AuditEvent
    from tests.factories import fresh_code

    output = rendered.output
    counsel = signed_in(studio.counsel)
    response = counsel.post(f"/outputs/{output.pk}/review/", {
        "verdict": "approve", "note": "watched with the performer", "watched_sha256": "f" * 64,
        "otp_code": fresh_code(studio.counsel)})
    assert response.status_code == 400
    assert "changed since it was shown to you" in text(response)
    output.refresh_from_db()
    assert output.status == "awaiting_approval"
    response = counsel.post(f"/outputs/{output.pk}/review/", {
        "verdict": "approve", "note": "watched with the performer", "watched_sha256": output.sha256,
        "otp_code": fresh_code(studio.counsel)})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="output.approved", object_id=str(output.pk))
    assert event.data["watched_sha256"] == event.data["sha256"] == output.sha256


def test_sign_and_release_in_the_browser(studio, rendered, settings, tmp_path):
    from likeness.provenance.services import output_approve, pki_initialise
    from tests.factories import fresh_code

    settings.PKI_DIR, settings.TSA_URL = tmp_path / "pki", ""
    pki_initialise()
    output = rendered.output
    # Before approval: offered to the studio's VFX staff, disabled, with the reason; never to the performer's side.
    page = text(signed_in(studio.supervisor).get(f"/outputs/{output.pk}/"))
    assert re.search(r'id="release-button" disabled', page) and "must approve it first" in page
    assert "Sign and release" not in text(signed_in(studio.counsel).get(f"/outputs/{output.pk}/"))
    fresh_code(studio.counsel)  # the authenticator's proof is fresh on the object for the service call below
    output_approve(output=output, by=studio.counsel, note="approved after watching it")
    page = text(signed_in(studio.supervisor).get(f"/outputs/{output.pk}/"))
    assert 'id="release-button">' in page
    # Another studio's staff cannot even see it; an auditor is refused.
    assert signed_in(studio.other_vfx).post(f"/outputs/{output.pk}/release/").status_code == 404
    assert signed_in(studio.auditor).post(f"/outputs/{output.pk}/release/").status_code == 403
    response = signed_in(studio.supervisor).post(f"/outputs/{output.pk}/release/", follow=True)
    assert response.redirect_chain[-1][0] == f"/outputs/{output.pk}/?check=1#credentials", \
        re.findall(r"Not released[^<]*", text(response))
    page = text(response)
    assert "Signed and released." in page and 'data-state="Trusted"' in page
    output.refresh_from_db()
    rendered.refresh_from_db()
    assert output.status == "released" and rendered.state == JobState.RELEASED
    assert output.release_decision is not None and output.release_decision.allowed


def test_a_release_the_gate_refuses_says_why_and_releases_nothing(studio, rendered, settings, tmp_path):
    from likeness.consent.services import grant_revoke
    from likeness.provenance.services import output_approve, pki_initialise
    from tests.factories import fresh_code

    settings.PKI_DIR, settings.TSA_URL = tmp_path / "pki", ""
    pki_initialise()
    output = rendered.output
    fresh_code(studio.counsel)
    output_approve(output=output, by=studio.counsel, note="approved")
    fresh_code(studio.counsel)
    grant_revoke(grant=studio.grant, by=studio.counsel, reason="the performer withdrew consent")
    response = signed_in(studio.supervisor).post(f"/outputs/{output.pk}/release/", follow=True)
    page = text(response)
    assert "Not released:" in page
    output.refresh_from_db()
    assert output.status != "released" and not output.manifest_label


# ----- a job ends with its output -------------------------------------------------------------------------------

def test_declining_the_output_ends_its_job(studio, rendered):
    """Declined is final for the output, so the job that rendered it is over too (it no longer waits for a
    release that cannot come), with the reason, an audit event and its page saying so."""
    from likeness.audit.models import AuditEvent
    from likeness.provenance.services import output_decline

    output_decline(output=rendered.output, by=studio.rep, note="the jawline reads wrong")
    rendered.refresh_from_db()
    assert rendered.state == JobState.DECLINED and "the jawline reads wrong" in rendered.state_reason
    assert AuditEvent.objects.filter(action="job.declined", object_id=str(rendered.pk)).exists()
    page = text(signed_in(studio.vfx).get(f"/jobs/{rendered.pk}/"))
    assert "Output declined" in page


def test_revoking_the_consent_withdraws_the_output_and_ends_its_job(studio, rendered):
    from likeness.audit.models import AuditEvent
    from likeness.consent.services import grant_revoke

    grant_revoke(grant=studio.grant, by=studio.rep, reason="the performer withdrew")
    rendered.refresh_from_db()
    rendered.output.refresh_from_db()
    assert rendered.output.status == "withdrawn"
    assert rendered.state == JobState.WITHDRAWN and "the performer withdrew" in rendered.state_reason
    assert AuditEvent.objects.filter(action="job.withdrawn", object_id=str(rendered.pk)).exists()


def test_a_closed_job_cannot_be_cancelled_or_released(studio, rendered):
    from django.core.exceptions import ValidationError

    from likeness.jobs.release import job_release
    from likeness.jobs.submission import job_cancel
    from likeness.provenance.services import output_decline

    output_decline(output=rendered.output, by=studio.rep, note="no")
    rendered.refresh_from_db()
    with pytest.raises(ValidationError, match="can no longer be cancelled"):
        job_cancel(job=rendered, by=studio.vfx)
    with pytest.raises(ValidationError, match="only a rendered output awaiting release"):
        job_release(job=rendered, by=studio.vfx)
