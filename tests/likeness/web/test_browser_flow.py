"""The whole consent-to-delivery flow in a real browser, on the state `make run` leaves (the demo data seeded),
with real workers on the embedded broker and no API call: studio legal creates a production, the rep registers
reference footage and drafts consent for it, counsel activates it, VFX trains a model and ages a plate, counsel
watches the output in the player and approves it, the supervisor signs and releases it, the auditor verifies the
delivered file, counsel revokes the consent, and the operator reads the platform's health. Then `make demo`'s
two commands run on what the flow left. Screenshots of each page are saved."""
from __future__ import annotations

import datetime as dt
import io
import re
import time
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone

from likeness.audit.models import AuditEvent
from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.demo.seed import DEMO_PASSWORD, demo_performer, demo_users, seed_demo
from likeness.jobs.models import Job, JobKind
from likeness.productions.models import Production
from likeness.provenance.models import Output, OutputStatus
from likeness.provenance.services import pki_initialise
from tests.factories import SPECIFIC, fresh_code, pdf_bytes

pytestmark = pytest.mark.slow
TITLE = "Tidewater"


@pytest.fixture
def fresh(live_db, settings, tmp_path) -> SimpleNamespace:
    """What `make run` leaves on a fresh instance: the demo organisations, people, consent and footage."""
    settings.TSA_URL = ""
    settings.ENGINE_TRAIN_STEPS = {**settings.ENGINE_TRAIN_STEPS, "tiny": 40}  # a rehearsal model: minutes
    # The demo data exists only in local runs (`make run` sets DJANGO_DEBUG=1); the pages are served as elsewhere.
    settings.DEBUG = True
    seed_demo()
    settings.DEBUG = False
    users = demo_users()
    return SimpleNamespace(performer=demo_performer(), counsel=users["counsel"], users=users)


def test_consent_to_delivery_in_the_browser(visit, bare_workers, fresh, footage, settings, tmp_path):
    w = fresh
    pki_initialise()
    engine_worker = bare_workers.start("w1")
    loaded = "img => img.complete && img.naturalWidth > 0"
    born = w.performer.date_of_birth.year

    # 0. Studio legal sets up the production the new shots are for.
    legal = visit("studio_legal", DEMO_PASSWORD)
    page = legal.goto("/productions/new/")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Union agreement").select_option(label="SAG-AFTRA TV/Theatrical 2026")
    page.get_by_label("Jurisdictions").fill("US-CA")
    page.get_by_label("Release territories").fill("US FR")
    page.get_by_label("Theatrical").check()
    page.get_by_role("button", name="Create the production").click()
    page.get_by_text(f"Production “{TITLE}” created.").wait_for()
    legal.shot("production created")
    production = Production.objects.get(title=TITLE)

    # 1. The rep registers two pieces of reference footage: the server hashes each file as it arrives.
    rep = visit("rep", DEMO_PASSWORD)
    page = rep.goto(f"/performers/{w.performer.pk}/")
    for path, age in footage.refs[:2]:
        page.click("#add-reference")
        page.get_by_role("heading", name="Register reference footage").wait_for()
        page.get_by_label("Title").fill(f"Low Tide {age}")
        page.get_by_label("Year").fill(str(born + age))
        page.get_by_label("The performer's age in it").fill(str(age))
        page.get_by_label("Rights basis").select_option("studio_owned")
        page.get_by_label("Footage").set_input_files(str(path))
        rep.shot(f"reference form {age}")
        page.get_by_role("button", name="Register the footage").click()
        page.get_by_text(f"Registered “Low Tide {age}”").wait_for()
        rep.shot(f"reference registered {age}")
    new_footage = list(w.performer.reference_materials.filter(title__startswith="Low Tide"))
    assert len(new_footage) == 2 and all(m.file for m in new_footage)

    # 2. The rep drafts consent for training and de-aging in this production and submits the signed contract.
    page.get_by_role("link", name="Record new consent").click()
    page.get_by_role("heading", name="New consent for Avery Quinn").wait_for()
    page.get_by_label("Training a model on past footage").check()
    page.get_by_label("De-aging", exact=True).check()
    page.get_by_label(TITLE, exact=True).check()
    page.get_by_label("ICDR: independently created digital replica").check()
    page.get_by_label("Digital alteration of recorded footage").check()
    page.get_by_label("Theatrical").check()
    page.get_by_label("Territories").fill("US FR")
    page.get_by_label("Youngest depicted age").fill("25")
    page.get_by_label("Oldest depicted age").fill("45")
    page.get_by_label("Term ends").fill((timezone.localdate() + dt.timedelta(days=400)).isoformat())
    page.get_by_label("Intended use").fill(SPECIFIC)
    page.get_by_label("Represented by counsel or the union").check()
    page.get_by_label("Signed separately from the employment contract").check()
    page.get_by_label("Explicit consent to biometric processing").check()
    page.get_by_label("Compensation terms").fill("scale plus 40%")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("saved. Submit it with the signed contract").wait_for()
    contract = tmp_path / "signed-contract.pdf"
    contract.write_bytes(pdf_bytes())
    page.get_by_label("Signed contract (PDF)").set_input_files(str(contract))
    page.get_by_role("button", name="Submit for approval").click()
    page.get_by_text("now waits for a second person").wait_for()
    rep.shot("consent submitted")
    grant = ConsentGrant.objects.get(performer=w.performer, productions=production)

    # 3. Counsel activates it (the second person; the binding act asks for the authenticator code).
    counsel = visit("counsel", DEMO_PASSWORD)
    page = counsel.goto(f"/grants/{grant.pk}/")
    page.get_by_label("Authenticator code").fill(fresh_code(w.counsel))
    page.get_by_role("button", name="Approve and activate").click()
    page.get_by_text("approved: it is active now").wait_for()
    counsel.shot("consent active")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE

    # 4. The VFX supervisor trains a model on that footage; the job page follows it to the end.
    vfx = visit("supervisor", DEMO_PASSWORD)
    page = vfx.goto(f"/jobs/new/training/?performer={w.performer.pk}")
    page.select_option("#id_production", str(production.pk))
    for material in new_footage:
        page.check(f'input[name="reference_materials"][value="{material.pk}"]')
    page.select_option("#id_size", "tiny")
    vfx.shot("training form")
    page.click("#submit-job")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]{36}/$"))
    page.locator("#worker-health").wait_for()
    vfx.shot("training job waiting or running")
    page.wait_for_selector('#job-state:has-text("Completed")', timeout=300_000)
    vfx.shot("training completed")
    training = Job.objects.get(kind=JobKind.TRAINING, production=production)
    model = training.trained_model
    assert model is not None, (training.state, training.state_reason, bare_workers.log_of("w1")[-3000:])

    # 5. ... and ages a plate of today to 30 with it.
    page = vfx.goto("/jobs/new/aging/")
    page.select_option("#id_performer", str(w.performer.pk))
    page.wait_for_selector(f'#id_likeness_model option[value="{model.pk}"]', state="attached")
    page.select_option("#id_production", str(production.pk))
    page.select_option("#id_likeness_model", str(model.pk))
    page.set_input_files("#id_plate", str(footage.plate))
    page.fill("#id_target_age", "30")
    page.press("#id_target_age", "Tab")
    page.wait_for_selector('#preflight [data-outcome^="allow"]')
    page.click("#submit-job")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]{36}/$"))
    page.wait_for_selector('#job-state:has-text("Awaiting approval")', timeout=180_000)
    vfx.shot("aging awaiting approval")
    output = Output.objects.get(production=production)
    # Before the performer's side approves, release is offered disabled, with the reason.
    page = vfx.goto(f"/outputs/{output.pk}/")
    assert page.is_disabled("#release-button") and "must approve it first" in page.inner_text("#release")
    vfx.shot("output before approval")

    # 6. Counsel watches the output in the player (plays it, steps it, looks at the difference) and approves it.
    page = counsel.goto(f"/outputs/{output.pk}/")
    page.wait_for_function(f"() => [...document.querySelectorAll('#viewer-side img')].every({loaded})")
    counsel.shot("output with the player")
    page.click("#play")
    page.wait_for_function("() => Number(document.querySelector('#frame-number').value) >= 3", timeout=30_000)
    counsel.shot("player playing")
    page.click("#play")  # pause
    page.check('input[name="mode"][value="difference"]')
    page.wait_for_function(f"() => ({loaded})(document.querySelector('#difference'))")
    counsel.shot("player difference")
    page.get_by_label("Note for the record").fill("watched with the performer; approved for the cinema cut")
    code = page.get_by_label("Authenticator code")
    if code.count():  # asked again unless counsel proved it within the window (when activating the consent)
        code.fill(fresh_code(w.counsel))
    page.get_by_role("button", name="Approve for release").click()
    page.get_by_text("Output approved for release.").wait_for()
    counsel.shot("output approved")
    approved = AuditEvent.objects.get(action="output.approved", object_id=str(output.pk))
    assert approved.data["watched_sha256"] == output.sha256

    # 7. The supervisor signs and releases it: the gate is asked again and the signed file's credentials read back.
    page = vfx.goto(f"/outputs/{output.pk}/")
    page.click("#release-button")
    page.get_by_text("Signed and released.").wait_for()
    page.locator('#credentials [data-state="Trusted"]').wait_for()
    vfx.shot("released with credentials")
    output.refresh_from_db()
    assert output.status == OutputStatus.RELEASED and output.release_decision.allowed

    # 8. The auditor verifies the delivered file and is led to the consent that allowed it.
    auditor = visit("auditor", DEMO_PASSWORD)
    page = auditor.goto("/verify/")
    page.set_input_files("#id_file", output.file.path)
    page.get_by_role("button", name="Verify").click()
    page.locator('[data-state="Trusted"]').first.wait_for()
    assert grant.label in page.content()
    auditor.shot("verified trusted")

    # 9. Counsel revokes the consent; the output's page then says so.
    page = counsel.goto(f"/grants/{grant.pk}/revoke/")
    page.get_by_label("Reason for revocation").fill("the performer withdrew consent")
    page.get_by_label("I understand").check()
    code = page.get_by_label("Authenticator code")
    if code.count():
        code.fill(fresh_code(w.counsel))
    page.get_by_role("button", name="Revoke consent").click()
    page.get_by_text("Jobs and models under it were stopped").wait_for()
    counsel.shot("consent revoked")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    page = auditor.goto(f"/outputs/{output.pk}/")
    assert "revoked now" in page.inner_text("body").lower()
    auditor.shot("output after revocation")

    # 10. The operator sees the platform's health: the engine worker that ran all this, alive, and the chain intact.
    ops = visit("operator", DEMO_PASSWORD)
    page = ops.goto("/operations/health/")
    assert re.search(r"w1@\S+", page.inner_text("#queues"))
    assert "Intact:" in page.inner_text("#chain")
    ops.shot("platform health")
    # The engine worker dies: the page says so plainly (the health pages read the worker registry).
    settings.WORKER_SILENT_SECONDS = 2.0
    bare_workers.kill(engine_worker)
    time.sleep(2.5)
    page = ops.goto("/operations/health/")
    assert "No worker is alive on the gpu queue" in page.inner_text("#queues")
    ops.shot("platform health with the engine worker gone")

    # 11. `make demo` on what the flow left, twice: the seed adds nothing it needs, the chain ends Trusted.
    settings.DEBUG = True
    for _ in range(2):
        call_command("seed_demo", stdout=io.StringIO())
        out = io.StringIO()
        call_command("demo_chain", "--steps", "40", stdout=out)
        assert "Trusted" in out.getvalue(), out.getvalue()[-2000:]
