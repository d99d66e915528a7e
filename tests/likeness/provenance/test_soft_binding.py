"""Every signed output carries a C2PA soft binding: the content fingerprint the registry stores, as a created
assertion. A copy whose manifest was stripped by re-encoding is found again through it."""
from __future__ import annotations

from pathlib import Path

import pytest

from likeness.provenance import fingerprint as fp
from likeness.provenance import jumbf
from likeness.provenance.c2pa_context import SOFT_BINDING_ALG
from likeness.provenance.models import Output
from likeness.provenance.selectors import registry_lookup, verify_upload
from likeness.provenance.services import output_approve, output_sign_and_release
from tests.likeness.provenance.conftest import MIMES, allowed_decision, reencode

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("ext", ["png", "jpg", "mp4"])
def test_the_soft_binding_names_the_registered_fingerprint(released, tmp_path, ext) -> None:
    r = released(ext)
    signed = Path(r.output.file.path)
    with open(signed, "rb") as fh:
        report = verify_upload(fh, user=r.world.auditor, name=signed.name)
        claim = jumbf.claim(fh, MIMES[ext])
    binding = report["manifests"][0]["soft_binding"]
    assert binding["alg"] == SOFT_BINDING_ALG
    assert binding["blocks"][0]["value"] == r.output.fingerprint != ""
    # Recomputed from the signed file's own pictures, independently of what the registry holds.
    assert fp.distance(fp.decode(fp.fingerprint_path(signed, MIMES[ext])), binding["blocks"][0]["value"]) <= 2
    assert "c2pa.soft-binding" in {ref["url"].rsplit("/", 1)[-1] for ref in claim["created_assertions"]}
    # Stripped by re-encoding: no manifest left, but the soft binding's fingerprint finds the output.
    copy = reencode(signed, tmp_path / f"copy.{ext}")
    with open(copy, "rb") as fh:
        found = registry_lookup(fh, sha256="0" * 64, mime=MIMES[ext])
    assert found["matched_by"] == "fingerprint" and found["outputs"][0]["id"] == str(r.output.pk)


def test_an_output_whose_fingerprint_was_deferred_is_fingerprinted_at_release(registered) -> None:
    """The jobs app defers fingerprints to a worker that may not run (the embedded demo has none): release does it."""
    r = registered("png")
    Output.objects.filter(pk=r.output.pk).update(fingerprint="")
    output_approve(output=r.output, by=r.world.rep, note="approved")
    released = output_sign_and_release(output=Output.objects.get(pk=r.output.pk), by=r.world.supervisor,
                                       regate=lambda: allowed_decision(r.world))
    assert released.fingerprint.startswith(fp.VERSION + ":")
    assert Output.objects.get(pk=r.output.pk).fingerprint == released.fingerprint  # stored for the registry
