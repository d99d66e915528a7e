"""seed_demo runs any number of times, on a fresh database and on one the app was used on, and leaves reference
footage a training job can read: real clips of the synthetic performer whose SHA-256 is the record's."""
from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from likeness.demo import seed
from likeness.people.models import ReferenceMaterial
from likeness.people.services import reference_material_create


def _counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()
            if m._meta.app_label not in {"sessions", "axes", "contenttypes", "auth", "admin"}}


def _assert_footage_has_its_files(materials: list[ReferenceMaterial]) -> None:
    assert len(materials) == len(seed.FOOTAGE)
    for material in materials:
        assert material.file, f"{material.title} has no file"
        with material.file.open("rb") as fh:
            data = fh.read()
        assert data[4:8] == b"ftyp", f"{material.title} is not an MP4"
        assert hashlib.sha256(data).hexdigest() == material.sha256, material.title


def test_seed_twice_makes_the_demo_once_and_its_footage_has_files(db, local_run, capsys):
    assert seed.seed_demo() is True
    first = _counts()
    assert seed.seed_demo() is False
    assert _counts() == first  # nothing doubled, nothing new in the audit trail either
    footage = list(ReferenceMaterial.objects.filter(performer=seed.demo_performer()).order_by("year"))
    assert [m.title for m in footage] == [f.title for f in seed.FOOTAGE]
    _assert_footage_has_its_files(footage)
    assert [m.performer_age for m in footage] == [25, 33, 42]
    # The command says so, in one line, and prints the logins.
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "demo data already present" in out and "likeness-demo-2026" in out


def test_training_from_the_seeded_footage_is_accepted(db, local_run):
    from likeness.jobs.submission import job_submit_training

    seed.seed_demo()
    users = seed.demo_users()
    job = job_submit_training(performer=seed.demo_performer(), production=seed.demo_production(),
                              reference_materials=seed.demo_footage(), by=users["vfx"], size="tiny", steps=5)
    assert job.state == "queued", job.state_reason  # no "no file uploaded for: Harbour Lights, ..."


def _clip(footage: seed.DemoFootage, variant: int = 0) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = seed.render_synthetic_clip(Path(tmp) / "clip.mp4", age=footage.age,
                                          seed=footage.clip_seed + 100 * variant)
        return path.read_bytes()


def test_seed_on_footage_the_app_registered_with_the_same_sha256(db, local_run):
    """The reported crash: 'Reference material with this Performer and Sha256 already exists'."""
    s = seed._Seeding(say=lambda _: None)
    world = seed._people(s)
    seed._consent(s, world)
    performer, supervisor = world["performer"], world["users"]["supervisor"]
    harbour, field, northbound = seed.FOOTAGE
    # Through the app: the very clip the seed renders for Harbour Lights, uploaded under another title...
    uploaded = reference_material_create(performer=performer, title="Harbour Lights (studio scan)", year=1986,
                                         performer_age=25, rights_basis="studio_owned", by=supervisor,
                                         file=io.BytesIO(_clip(harbour)))
    # ...The Long Field's clip registered by its SHA-256 only, with no file...
    field_sha = hashlib.sha256(_clip(field)).hexdigest()
    reference_material_create(performer=performer, title="The Long Field", year=1994, performer_age=33,
                              rights_basis="studio_owned", by=supervisor, sha256=field_sha)
    # ...and Northbound as an older seed left it: a record without a file.
    reference_material_create(performer=performer, title="Northbound", year=2003, performer_age=42,
                              rights_basis="studio_owned", by=supervisor,
                              sha256=hashlib.sha256(b"Northbound").hexdigest())

    assert seed.seed_demo() is True
    footage = seed.demo_footage()
    _assert_footage_has_its_files(footage)
    assert footage[0].pk == uploaded.pk  # the same file is the same footage: reused, not registered twice
    assert footage[1].title == "The Long Field" and footage[1].sha256 != field_sha  # other motion, same age
    assert footage[2].title == "Northbound"
    assert seed.seed_demo() is False
    assert seed.demo_footage() == footage


def test_seed_restores_what_the_app_removed(db, local_run):
    from likeness.consent.services import grant_revoke
    from likeness.organisations.models import Membership
    from likeness.organisations.services import membership_delete

    seed.seed_demo()
    users = seed.demo_users()
    membership_delete(membership=Membership.objects.get(user=users["vfx"]), by=None)
    grant = seed.demo_performer().consent_grants.get(status="active")
    seed.act_as(users["rep"])
    grant_revoke(grant=grant, by=users["rep"], reason="the performer withdrew")
    made: list[str] = []
    assert seed.seed_demo(made.append) is True
    assert Membership.objects.filter(user=users["vfx"], role="vfx_artist").exists()
    active = seed.demo_performer().consent_grants.filter(status="active")
    assert active.count() == 1 and active.get().pk != grant.pk
    assert any("no consent in force covered the demo" in line and "revoked" in line for line in made), made
    assert seed._demo_uses_refused(seed.demo_performer(), seed.demo_production()) is None


def test_an_authenticator_of_their_own_stops_the_seed_in_one_line(db, local_run):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    seed.seed_demo()
    users = seed.demo_users()
    TOTPDevice.objects.create(user=users["rep"], name="my phone", confirmed=True)
    with pytest.raises(seed.DemoError, match="authenticator set up on its Security page") as err:
        seed.act_as(users["rep"])
    assert "\n" not in str(err.value)


@pytest.mark.slow  # waits for the clock's next 30-second step once
def test_binding_acts_in_quick_succession_keep_the_authenticator_near_the_clock(db, local_run):
    """Each act uses a new step; none runs more than one step ahead of the clock, so a code the demo secret's
    app shows still matches afterwards."""
    from django_otp.oath import TOTP

    from likeness.accounts.second_factor import confirmed_device

    seed.seed_demo()
    counsel = seed.demo_users()["counsel"]
    for _ in range(2):  # with the seed's approval of the consent: three steps used in a row
        seed.act_as(counsel)
        device = confirmed_device(counsel)
        assert device.drift <= 1, device.drift
    device = confirmed_device(counsel)
    now_step = TOTP(device.bin_key, device.step, device.t0).t()
    assert device.last_t <= now_step + 1
