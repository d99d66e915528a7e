"""The outside-tools walkthrough in docs/provenance.md works as written: its bash block is run, unchanged, on a
real bundle, and fails on a bundle whose audit event or released file was changed."""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from likeness.provenance import bundle_check
from likeness.provenance.bundle import bundle_build

TOOLS = ("bash", "unzip", "openssl", "sha256sum", "jq", "xxd", "awk")
pytestmark = pytest.mark.skipif(not all(shutil.which(t) for t in TOOLS),
                                reason=f"needs {', '.join(TOOLS)} (apt-get install unzip jq xxd)")


def walkthrough() -> str:
    text = (Path(settings.BASE_DIR) / "docs" / "provenance.md").read_text()
    section = text.split("### Checking a bundle with outside tools", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def run(bundle: Path, root: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", walkthrough()], env={"PATH": "/usr/bin:/bin", "BUNDLE": str(bundle),
                                                              "ROOT_SHA256": root},
                          capture_output=True, text=True, timeout=300)


def test_the_documented_commands_check_a_real_bundle(released, tmp_path) -> None:
    bundle = tmp_path / "evidence.zip"
    bundle.write_bytes(bundle_build(output=released("jpg").output))
    with zipfile.ZipFile(bundle) as zf:
        root = bundle_check.root_fingerprint(zf.read("trust_anchors.pem"))
    done = run(bundle, root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checked with outside tools" in done.stdout
    assert run(bundle, "0" * 64).returncode != 0  # an unconfirmed root stops it at once

    def rewrite(name: str, change) -> Path:
        out = tmp_path / f"changed-{name.replace('/', '_')}.zip"
        with zipfile.ZipFile(bundle) as zin, zipfile.ZipFile(out, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                zout.writestr(info.filename, change(data) if info.filename == name else data)
        return out

    edited = rewrite("audit_events.json", lambda d: d.replace(b'"output.approved"', b'"output.declined"', 1))
    assert run(edited, root).returncode != 0
    swapped = rewrite("output.jpg", lambda d: d[:-20] + bytes(20))
    assert run(swapped, root).returncode != 0
