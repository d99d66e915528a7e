"""The consent pages, through Django's test client: what each page shows, what it refuses and to whom."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from likeness.consent.models import ConsentGrant, GrantStatus
from likeness.policy.requests import gate_request_build
from likeness.policy.services import decision_make
from tests.factories import SPECIFIC, fresh_code, pdf_bytes

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(world, **overrides) -> dict:
    today = timezone.localdate()
    data = {
        "uses": ["training", "de_aging"], "productions": [world.production.pk], "replica_types": ["icdr"],
        "media": ["theatrical"], "territories": "US FR", "depicted_age_min": "25", "depicted_age_max": "45",
        "term_start": today.isoformat(), "term_end": (today + dt.timedelta(days=365)).isoformat(),
        "use_description": SPECIFIC, "represented_by_counsel": "on", "separately_signed": "on",
        "biometric_consent_explicit": "on", "compensation_terms": "scale plus 40%", "posthumous_terms": "continues",
        "description_given_at": "2026-01-05T10:30",
    }
    data.update(overrides)
    return data


def pdf_upload(content: bytes | None = None, name: str = "signed.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if content is None else content, content_type="application/pdf")


def a_decision(world, use: str = "de_aging", age: int = 30):
    return decision_make(
        request=gate_request_build(performer=world.performer, production=world.production, use=use,
                                   depicted_age=age, media=["theatrical"], territories=["US"],
                                   replica_types=["digital_alteration"]),
        performer=world.performer, production=world.production, purpose="what_if", by=world.vfx)


# --- performers ----------------------------------------------------------------------------------------------

def test_the_roster_and_profile_show_the_represented_performer(world, make_grant):
    grant = make_grant()
    client = signed_in(world.rep)
    roster = client.get("/performers/")
    assert roster.status_code == 200 and "Avery Quinn" in roster.content.decode()
    page = client.get(f"/performers/{world.performer.pk}/").content.decode()
    for text in ("1961-04-12", "US-CA", "Brightside", "Keller LLP", "Counsel", grant.label, "Record new consent",
                 "Reference material", "Recent gate decisions"):
        assert text in page, text
    assert 's-active' in page


def test_another_agencys_performer_is_not_found(world):
    client = signed_in(world.other_rep)
    assert world.performer.pk not in [r["performer"].pk for r in client.get("/performers/").context["rows"]]
    assert client.get(f"/performers/{world.performer.pk}/").status_code == 404
    assert client.get(f"/performers/{world.performer.pk}/consent/new/").status_code == 404


def test_vfx_may_not_draft_consent_or_open_the_approval_queue(world):
    client = signed_in(world.vfx)
    response = client.get("/approvals/")
    assert response.status_code == 403 and "talent reps and legal" in response.content.decode()
    assert client.get(f"/performers/{world.performer.pk}/consent/new/").status_code == 403


# --- the consent form ----------------------------------------------------------------------------------------

def test_the_form_has_every_grant_field_labelled_and_described(world):
    from likeness.consent.selectors import DIFF_FIELDS

    html = signed_in(world.rep).get(f"/performers/{world.performer.pk}/consent/new/").content.decode()
    for name in (*DIFF_FIELDS, "productions"):
        assert f'name="{name}"' in html, name
        assert f'id="id_{name}-error"' in html and f'id="id_{name}-help"' in html
    # Every input has a label (checkbox groups: one label per box, inside a fieldset with a legend).
    ids = re.findall(r'<input[^>]+id="([^"]+)"', html) + re.findall(r'<(?:textarea|select)[^>]+id="([^"]+)"', html)
    for input_id in ids:
        assert f'for="{input_id}"' in html, input_id
    assert 'hx-post="/grants/check/"' in html
    assert "<legend>Uses consented to" in html and "Aging up" in html


def test_a_rep_drafts_consent_through_the_form(world):
    response = signed_in(world.rep).post(f"/performers/{world.performer.pk}/consent/new/", form_data(world))
    assert response.status_code == 302, response.content.decode()[:3000]
    grant = ConsentGrant.objects.get()
    assert response.url == f"/grants/{grant.pk}/"
    assert grant.status == GrantStatus.DRAFT and grant.drafted_by == world.rep
    assert grant.uses == ["training", "de_aging"] and grant.territories == ["US", "FR"]
    assert grant.depicted_age_min == 25 and grant.compensation_terms == "scale plus 40%"
    assert grant.represented_by_counsel and not grant.exclusive
    assert list(grant.productions.all()) == [world.production]


def test_an_inverted_age_range_is_refused_with_a_clear_message(world):
    response = signed_in(world.rep).post(f"/performers/{world.performer.pk}/consent/new/",
                                         form_data(world, depicted_age_min="45", depicted_age_max="25"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "the depicted-age range is inverted (45 &gt; 25)" in html
    field = re.search(r'<input[^>]+name="depicted_age_max"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_depicted_age_max-help id_depicted_age_max-error"' \
        in field
    assert 'href="#field-depicted_age_max"' in html  # the summary links to the field
    assert not ConsentGrant.objects.exists()


def test_service_refusals_become_form_errors(world):
    # Unknown territory: the form refuses it before the service does.
    response = signed_in(world.rep).post(f"/performers/{world.performer.pk}/consent/new/",
                                         form_data(world, territories="US XX", uses=[]))
    html = response.content.decode()
    assert response.status_code == 400 and "unknown territory code(s): XX" in html
    assert "This field is required." in html  # no use ticked


def test_the_inline_check_returns_the_fields_error(world):
    client = signed_in(world.rep)
    bad = client.post("/grants/check/", {**form_data(world, depicted_age_min="50", depicted_age_max="30"),
                                         "_field": "depicted_age_max"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and "the depicted-age range is inverted (50 &gt; 30)" in bad.content.decode()
    good = client.post("/grants/check/", {**form_data(world), "_field": "depicted_age_max"})
    assert good.status_code == 200 and good.content == b""
    # Only the named field's errors come back, not those of fields not reached yet.
    partial = client.post("/grants/check/", {"territories": "ZZ", "_field": "territories"})
    assert "unknown territory code(s): ZZ" in partial.content.decode() and "required" not in partial.content.decode()
    assert client.post("/grants/check/", {"_field": "nope"}).status_code == 400


def test_a_draft_can_be_edited_and_an_active_grant_cannot(world, make_grant):
    draft = make_grant(activate=False)
    client = signed_in(world.rep)
    page = client.get(f"/grants/{draft.pk}/edit/").content.decode()
    assert 'value="scale plus 40%"' not in page and "scale plus 40%" in page  # textarea holds it
    response = client.post(f"/grants/{draft.pk}/edit/", form_data(world, depicted_age_max="50"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.depicted_age_max == 50
    active = make_grant()
    response = client.get(f"/grants/{active.pk}/edit/", follow=True)
    assert "only drafts can be edited" in response.content.decode()


# --- the grant page and its actions --------------------------------------------------------------------------

def test_the_grant_page_shows_every_field_to_the_rep(world, make_grant):
    grant = make_grant()
    html = signed_in(world.rep).get(f"/grants/{grant.pk}/").content.decode()
    for text in ("Uses consented to", "Training a model on past footage", "Here and Then", "Youngest depicted age",
                 "Compensation terms", "scale plus 40%", "After the performer&#x27;s death", "Download the signed "
                 "contract", "Amend (new version)", "Revoke", grant.document_sha256):
        assert text in html, text


def test_vfx_never_sees_compensation_or_the_contract(world, make_grant):
    grant = make_grant()
    client = signed_in(world.vfx)
    page = client.get(f"/grants/{grant.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "scale plus 40%" not in html and "Compensation" not in html
    assert "document" not in html.lower().replace("documented", "")
    assert "Revoke" not in html and "Amend" not in html
    assert client.get(f"/grants/{grant.pk}/document/").status_code == 403
    history = client.get(f"/grants/{grant.pk}/history/").content.decode()
    assert "scale plus 40%" not in history and "Compensation" not in history
    assert client.get(f"/performers/{world.performer.pk}/").status_code == 200
    # Another studio's VFX does not see the grant at all.
    assert signed_in(world.other_vfx).get(f"/grants/{grant.pk}/document/").status_code == 404


def test_the_rep_and_the_auditor_download_the_contract(world, make_grant):
    grant = make_grant()
    for who in (world.rep, world.auditor):
        response = signed_in(who).get(f"/grants/{grant.pk}/document/")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_submitting_a_file_that_is_not_a_pdf_is_a_form_error(world, make_grant):
    draft = make_grant(activate=False)
    response = signed_in(world.rep).post(f"/grants/{draft.pk}/submit/",
                                         {"document": pdf_upload(b"GIF89a not a contract", "contract.pdf")})
    html = response.content.decode()
    assert response.status_code == 400 and "the file is not a PDF" in html
    assert re.search(r'<input[^>]+name="document"[^>]+aria-invalid="true"', html)
    draft.refresh_from_db()
    assert draft.status == GrantStatus.DRAFT


def test_submit_then_a_second_person_approves(world, make_grant):
    draft = make_grant(activate=False)
    rep = signed_in(world.rep)
    response = rep.post(f"/grants/{draft.pk}/submit/", {"document": pdf_upload(), "signed_on": "2026-01-02"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == GrantStatus.AWAITING_APPROVAL and draft.signed_on == dt.date(2026, 1, 2)
    # The drafter may not approve: the service's refusal is shown on the page.
    refused = rep.post(f"/grants/{draft.pk}/approve/", follow=True)
    assert "activation needs a second person: you drafted this grant" in refused.content.decode()
    draft.refresh_from_db()
    assert draft.status == GrantStatus.AWAITING_APPROVAL
    # Counsel's queue lists it; counsel approves.
    counsel = signed_in(world.counsel)
    assert draft.label in counsel.get("/approvals/").content.decode()
    approved = counsel.post(f"/grants/{draft.pk}/approve/", {"otp_code": fresh_code(world.counsel)}, follow=True)
    assert "approved: it is active now" in approved.content.decode()
    draft.refresh_from_db()
    assert draft.status == GrantStatus.ACTIVE and draft.approved_by == world.counsel


def test_studio_legal_who_does_not_represent_the_performer_cannot_approve(world, make_grant):
    draft = make_grant(activate=False)
    from likeness.consent.services import grant_submit
    from tests.factories import pdf_file

    grant_submit(grant=draft, document=pdf_file(), by=world.rep)
    response = signed_in(world.studio_legal).post(f"/grants/{draft.pk}/approve/")
    assert response.status_code == 403 and "may approve consent" in response.content.decode()


def test_amending_creates_a_new_version_and_the_history_shows_the_difference(world, make_grant):
    grant = make_grant()
    client = signed_in(world.rep)
    form = client.get(f"/grants/{grant.pk}/amend/").content.decode()
    assert 'value="25"' in form  # prefilled from the active version
    response = client.post(f"/grants/{grant.pk}/amend/",
                           form_data(world, depicted_age_max="55", territories="WORLD",
                                     uses=["training", "de_aging"], media=["theatrical", "streaming"],
                                     replica_types=["digital_alteration", "icdr"]))
    assert response.status_code == 302
    v2 = ConsentGrant.objects.get(family=grant.family, version=2)
    assert v2.status == GrantStatus.DRAFT and v2.supersedes == grant and v2.depicted_age_max == 55
    history = client.get(f"/grants/{v2.pk}/history/")
    html = history.content.decode()
    assert history.status_code == 200 and "v1 against v2" in html
    row = re.search(r"<tr class=\"changed-row\"><th scope=\"row\">Oldest depicted age.*?</tr>", html, re.S).group(0)
    assert ">45<" in row and ">55<" in row
    only = client.get(f"/grants/{v2.pk}/history/?a={grant.pk}&b={v2.pk}&only=changed").content.decode()
    assert "Youngest depicted age" not in only and "Oldest depicted age" in only


# --- revocation ----------------------------------------------------------------------------------------------

def test_revocation_needs_a_reason_and_a_confirmation(world, make_grant):
    grant = make_grant()
    client = signed_in(world.counsel)
    page = client.get(f"/grants/{grant.pk}/revoke/").content.decode()
    assert "What revoking does" in page and "No queued jobs." in page
    response = client.post(f"/grants/{grant.pk}/revoke/", {"reason": "  "})
    html = response.content.decode()
    assert response.status_code == 400 and "tick to confirm the revocation" in html and "This field is required" in html
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    done = client.post(f"/grants/{grant.pk}/revoke/", {"reason": "performer withdrew", "confirm": "on",
                                                       "otp_code": fresh_code(world.counsel)},
                       follow=True)
    assert "revoked" in done.content.decode()
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED and grant.revocation_reason == "performer withdrew"
    assert client.get(f"/grants/{grant.pk}/revoke/", follow=True).redirect_chain  # no second revocation


def test_the_revocation_preview_lists_queued_jobs_and_models(world, make_grant):
    from likeness.jobs.models import Job, JobKind, JobState, LikenessModel, ModelStatus

    grant = make_grant()
    decision = a_decision(world, use="training")
    model = LikenessModel.objects.create(performer=world.performer, size="tiny", grant=grant, decision=decision,
                                         status=ModelStatus.READY)
    job = Job.objects.create(kind=JobKind.AGING, performer=world.performer, production=world.production,
                             requested_by=world.vfx, likeness_model=model, state=JobState.QUEUED)
    running = Job.objects.create(kind=JobKind.AGING, performer=world.performer, production=world.production,
                                 requested_by=world.vfx, likeness_model=model, state=JobState.RUNNING)
    html = signed_in(world.rep).get(f"/grants/{grant.pk}/revoke/").content.decode()
    cancelled = html.split('id="impact-cancelled"')[1].split("</ul>")[0]
    stopped = html.split('id="impact-stopped"')[1].split("</ul>")[0]
    models = html.split('id="impact-models"')[1].split("</ul>")[0]
    assert str(job.pk)[:8] in cancelled and str(running.pk)[:8] not in cancelled
    assert str(running.pk)[:8] in stopped
    assert str(model.pk)[:8] in models and "quarantined" in models


# --- auditors, decisions, rules ------------------------------------------------------------------------------

def test_auditors_are_read_only_on_every_post_route(world, make_grant):
    grant = make_grant()
    draft = make_grant(activate=False)
    client = signed_in(world.auditor)
    assert client.get(f"/grants/{grant.pk}/").status_code == 200
    for url in (f"/performers/{world.performer.pk}/consent/new/", "/grants/check/", f"/grants/{draft.pk}/edit/",
                f"/grants/{draft.pk}/submit/", f"/grants/{draft.pk}/approve/", f"/grants/{grant.pk}/amend/",
                f"/grants/{grant.pk}/revoke/"):
        response = client.post(url, {"reason": "x", "confirm": "on"})
        assert response.status_code == 403, url
        assert "You do not have access" in response.content.decode()
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE


def test_an_auditor_role_adds_no_write_right(world):
    """A rep of another agency who is also an auditor engaged on this performer's agency reads the performer
    (the engagement) but may not draft their consent: reading never becomes a right to act."""
    from likeness.organisations.services import membership_create

    membership_create(user=world.other_rep, organisation=world.audit_firm, role="auditor", by=world.ops)
    client = signed_in(world.other_rep)
    assert client.get(f"/performers/{world.performer.pk}/").status_code == 200
    before = ConsentGrant.objects.count()
    response = client.post(f"/performers/{world.performer.pk}/consent/new/", form_data(world))
    assert response.status_code == 403 and ConsentGrant.objects.count() == before


def test_an_auditor_only_account_is_read_only(world):
    before = ConsentGrant.objects.count()
    response = signed_in(world.auditor).post(f"/performers/{world.performer.pk}/consent/new/", form_data(world))
    assert response.status_code == 403 and ConsentGrant.objects.count() == before


def test_decisions_are_listed_and_explained(world, make_grant):
    grant = make_grant()
    allowed = a_decision(world, age=30)
    denied = a_decision(world, age=19)
    assert allowed.allowed and not denied.allowed
    for who in ("rep", "vfx", "auditor"):
        client = signed_in(getattr(world, who))
        listing = client.get("/decisions/").content.decode()
        assert f"/decisions/{denied.pk}/" in listing, who
        page = client.get(f"/decisions/{denied.pk}/")
        html = page.content.decode()
        assert page.status_code == 200 and denied.explanation.replace("'", "&#x27;")[:40] in html
        assert denied.lines[0]["rule_id"] in html and denied.lines[0]["source"][:20] in html
        assert "Nearest grant" in html and f"/grants/{grant.pk}/" in html
    assert "deny" in signed_in(world.rep).get("/decisions/?outcome=deny").content.decode()
    assert signed_in(world.studio_admin).get("/decisions/").status_code == 403
    assert signed_in(world.other_rep).get(f"/decisions/{denied.pk}/").status_code == 404
    ok = signed_in(world.rep).get(f"/decisions/{allowed.pk}/").content.decode()
    assert "Covered by" in ok and grant.label in ok


def test_the_rule_catalogue_is_open_to_every_role(world):
    from likeness.policy.rules import REGISTRY

    for who in ("rep", "vfx", "auditor", "studio_admin"):
        html = signed_in(getattr(world, who)).get("/rules/").content.decode()
        for rule_id in list(REGISTRY)[:5]:
            assert f'id="rule-{rule_id}"' in html, (who, rule_id)
    assert Client().get("/rules/").status_code == 302


def test_the_approval_queue_lists_outputs_awaiting_talent_approval(world, make_grant):
    from likeness.provenance.models import Output

    grant = make_grant()
    decision = a_decision(world)
    output = Output.objects.create(file="outputs/x.mp4", sha256="a" * 64, rendered_sha256="a" * 64, mime="video/mp4",
                                   size=10, decision=decision, grant=grant, performer=world.performer,
                                   production=world.production)
    html = signed_in(world.rep).get("/approvals/").content.decode()
    assert f"/outputs/{output.pk}/" in html
    assert f"/outputs/{output.pk}/" not in signed_in(world.other_rep).get("/approvals/").content.decode()


def test_document_bytes_are_not_reachable_through_media_urls(world, make_grant):
    grant = make_grant()
    response = signed_in(world.vfx).get("/media/" + grant.document.name)
    assert response.status_code == 404
