"""The CI dependency audit finds the bootstrapped uv on a machine whose PATH has none."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPORT = (
    "import importlib.util, sys;"
    "spec = importlib.util.spec_from_file_location('audit', '.ci/dependency_audit.py');"
    "audit = importlib.util.module_from_spec(spec); spec.loader.exec_module(audit);"
    "print(audit.locked_requirements().read_text())"
)


def _bare_env(**extra: str) -> dict[str, str]:
    env = {"HOME": os.environ.get("HOME", "/root"), "PATH": "/usr/bin:/bin"}
    env.update(extra)
    return env


def test_the_audit_exports_the_lock_with_no_uv_on_path() -> None:
    uv = os.environ.get("UV") or shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    assert Path(uv).exists(), "the suite runs under `uv run`, which names its uv in $UV"
    done = subprocess.run(
        [sys.executable, "-c", EXPORT], cwd=ROOT, env=_bare_env(UV=uv), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "fastapi==" in done.stdout and "sqlalchemy==" in done.stdout.lower()


def test_the_audit_says_how_to_run_it_when_no_uv_is_anywhere(tmp_path: Path) -> None:
    copy = tmp_path / ".ci"
    copy.mkdir()
    shutil.copy(ROOT / ".ci" / "dependency_audit.py", copy / "dependency_audit.py")
    if shutil.which("uv", path="/usr/bin:/bin"):
        pytest.skip("this machine has a system uv in /usr/bin, which the audit would rightly use")
    done = subprocess.run(
        [sys.executable, "-c", EXPORT], cwd=tmp_path, env=_bare_env(), capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "./qcr run python .ci/dependency_audit.py" in done.stderr
