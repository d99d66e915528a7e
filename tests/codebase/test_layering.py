"""The layering is checked by import-linter (`make lint`, contracts in pyproject.toml). These tests run it on the
code as it is, and on a copy with one back arrow added, to show that the contracts are not vacuous: a module of
the pure gate that imports consent records, a model that imports a service, or a web view that reaches torch
each break the build."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


CONTRACTS = [c["name"] for c in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]]


def _verdicts(report: str) -> dict[str, bool]:
    """Contract name -> broken?, from lint-imports' report (which wraps long names over several lines)."""
    flat = " ".join(report.split())
    verdicts = {}
    for name in CONTRACTS:
        found = re.search(re.escape(" ".join(name.split())) + r" (KEPT|BROKEN)", flat)
        assert found, f"no verdict for {name!r} in the report"
        verdicts[name] = found.group(1) == "BROKEN"
    return verdicts


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
                          cwd=root, capture_output=True, text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          timeout=120)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in ("likeness", "engine"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_contract() -> None:
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert not any(_verdicts(result.stdout).values())


GATE, MODELS, INSIDE, APPS = "the gate is a pure", "models import no", "inside each app", "apps:"


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("likeness/policy/gate.py", "from likeness.consent import models as _back", {GATE, APPS}),
    ("likeness/consent/models.py", "from likeness.consent import services as _back", {MODELS, INSIDE}),
    ("likeness/web/views/jobs.py", "from likeness.jobs import runner as _back", {"the web process never imports torch"}),
    ("likeness/audit/services.py", "from likeness.jobs import models as _back", {APPS}),
    # The gate imports the codes: Django in the codes would reach the gate too.
    ("likeness/common/vocabulary.py", "import django as _back", {"the shared codes import nothing", GATE}),
])
def test_a_back_arrow_breaks_its_contract(copy: Path, module: str, line: str, broken: set[str]) -> None:
    target = copy / module
    target.write_text(target.read_text() + f"\n{line}\n")
    result = _lint(copy)
    assert result.returncode == 1, result.stdout[-3000:]
    expected = {name: any(name.startswith(prefix) for prefix in broken) for name in CONTRACTS}
    assert _verdicts(result.stdout) == expected, result.stdout[-3000:]
