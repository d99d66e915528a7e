"""A VFX artist's main path in a real browser, against a real Celery worker: the aging form's pre-flight denies
an age the consent does not cover, allows a covered one, the job runs on the worker while its page follows the
progress live, and the review player steps frames and moves the wipe. A screenshot is saved at every step."""
from __future__ import annotations

import re

import pytest

from likeness.jobs.models import Job, JobState

# The web conftest re-exports `workers` and `ready_model` but not the fixtures they stand on.
from tests.likeness.web.conftest import password_for

pytestmark = pytest.mark.slow


def test_vfx_artist_requests_follows_and_reviews_an_aging_job(visit, workers, live_world, ready_model,
                                                               footage):
    workers.start("w1")
    w = live_world
    v = visit("vfx", password_for("vfx"))
    page = v.goto("/jobs/new/aging/")
    v.shot("aging form")

    # Choosing the performer reloads the choices that depend on them (htmx): their ready model appears.
    page.select_option("#id_performer", str(w.performer.pk))
    page.wait_for_selector(f'#id_likeness_model option[value="{ready_model.pk}"]', state="attached")
    page.select_option("#id_production", str(w.production.pk))
    page.select_option("#id_likeness_model", str(ready_model.pk))
    page.set_input_files("#id_plate", str(footage.plate))
    page.fill("#id_frame_start", "2")
    page.fill("#id_frame_end", "10")

    # Pre-flight: 19 is outside the grant's depicted ages (25-45); the gate says so before anything is submitted.
    page.fill("#id_target_age", "19")
    page.press("#id_target_age", "Tab")
    denial = page.wait_for_selector('#preflight [data-outcome="deny"]')
    said = denial.inner_text()
    assert "would deny" in said and "19" in said and "25-45" in said, said
    assert not Job.objects.exists()
    v.shot("preflight denial at 19")

    page.fill("#id_target_age", "30")
    page.press("#id_target_age", "Tab")
    page.wait_for_selector('#preflight [data-outcome^="allow"]')
    v.shot("preflight allowed at 30")

    page.click("#submit-job")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]{36}/$"))
    job = Job.objects.get()
    assert job.state in (JobState.QUEUED, JobState.RUNNING, JobState.AWAITING_APPROVAL), job.state_reason
    # A marker on the window: if the page were reloaded instead of updated in place, it would be gone.
    page.evaluate("window.__notReloaded = true")
    v.shot("job page just submitted")

    page.wait_for_selector('#job-state:has-text("Awaiting approval")', timeout=180_000)
    assert page.evaluate("window.__notReloaded") is True
    assert page.get_attribute("#job-progress", "value") == "100"
    assert "8 / 8 (100%)" in page.inner_text("#job-live")
    assert page.get_attribute("#job-live", "hx-trigger") is None  # settled: the poll stopped
    job.refresh_from_db()
    assert job.state == JobState.AWAITING_APPROVAL, (job.state_reason, workers.log_of("w1")[-3000:])
    assert "rendered 8 frames" in page.inner_text(".job-log")
    v.shot("job page awaiting approval")

    page.click("#review-link")
    page.wait_for_url(re.compile(r".*/review/$"))
    loaded = "img => img.complete && img.naturalWidth > 0"
    page.wait_for_function(f"() => [...document.querySelectorAll('#viewer-side img')].every({loaded})")
    v.shot("review side by side frame 0")

    page.click("#next-frame")
    assert page.input_value("#frame-number") == "1"
    page.wait_for_function(f"() => (img => img.src.endsWith('/frames/output/1.jpg') && {loaded.split('=> ')[1]})"
                           "(document.querySelector('#side-output'))")
    assert page.get_attribute("#side-plate", "src").endswith("/frames/plate/1.jpg")
    assert page.inner_text("#viewer-side .plate-index") == "3"  # output frame 1 came from plate frame 3
    page.keyboard.press("ArrowRight")
    assert page.input_value("#frame-number") == "2"
    assert "frame=2" in page.url
    v.shot("review stepped to frame 2")

    page.check('input[name="mode"][value="wipe"]')
    assert page.is_visible("#viewer-wipe") and not page.is_visible("#viewer-side")
    page.fill("#wipe", "20")
    assert page.evaluate("getComputedStyle(document.querySelector('.wipe-stack')).getPropertyValue('--wipe')"
                         ).strip() == "20%"
    page.focus("#wipe")
    page.keyboard.press("ArrowRight")  # on the slider, the arrow moves the wipe, not the frame
    assert page.input_value("#wipe") == "21" and page.input_value("#frame-number") == "2"
    page.wait_for_function(f"() => [...document.querySelectorAll('#viewer-wipe img')].every({loaded})")
    v.shot("review wipe at 21 percent")


def test_a_slow_answer_to_the_performer_choice_still_brings_their_models(visit, live_world, ready_model) -> None:
    """Choosing a performer asks for their models, and the same change asks the gate's pre-flight a moment later
    (250 ms). On a slow connection the models' answer comes after the pre-flight has started: it must still
    arrive, not be cancelled by it. The browser holds the models' answer back by 1.5 s."""
    import time

    w = live_world
    v = visit("vfx", password_for("vfx"))
    page = v.goto("/jobs/new/aging/")
    held = []

    def slowly(route) -> None:
        held.append(route.request.url)
        time.sleep(1.5)
        route.continue_()

    page.route(lambda url: "/jobs/new/aging/?" in url, slowly)
    page.select_option("#id_performer", str(w.performer.pk))
    page.wait_for_selector(f'#id_likeness_model option[value="{ready_model.pk}"]', state="attached")
    assert held, "the performer's models were not asked for"
    v.shot("models of the performer after a slow answer")
