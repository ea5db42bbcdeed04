"""Dependency audit of the lock file with pip-audit: fails on a known vulnerability that has a fix.

Every locked package (dev tools included) is looked up, first in the PyPI advisory data, then in
OSV. When neither database answers for a package, the audit cannot vouch for it: this says so,
loudly and by name, instead of reporting "no known vulnerabilities". That is a warning, not a
failure, so an offline or mirror-only machine can still run CI; set QCR_AUDIT_REQUIRED=1 to make an
unreachable database fail the run.

Run with `./qcr run python .ci/dependency_audit.py` (uv need not be on PATH); exit 1 on a fixable
vulnerability.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


EXPORT_ARGS = ["export", "--frozen", "--format", "requirements-txt", "--no-hashes", "--no-emit-project"]


def uv_binary() -> str:
    """The uv that runs us (`uv run` sets $UV), else one on PATH, else the bootstrapped copy."""
    found = os.environ.get("UV") or shutil.which("uv")
    if found:
        return found
    bootstrapped = ROOT / ".tools" / "bin" / "uv"
    if bootstrapped.exists():
        return str(bootstrapped)
    raise SystemExit("audit: no uv found; run it as `./qcr run python .ci/dependency_audit.py`")


def locked_requirements() -> Path:
    exported = subprocess.run(
        [uv_binary(), *EXPORT_ARGS],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "requirements.txt"
    path.write_text(exported)
    return path


def audit(requirements: Path, service: str) -> dict | None:
    """pip-audit's JSON report from one vulnerability service, or None when it could not run."""
    command = [
        sys.executable, "-m", "pip_audit", "-r", str(requirements), "--no-deps", "--disable-pip",
        "--progress-spinner", "off", "-f", "json", "-s", service,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"audit: {service} could not be queried: {reason[:300]}")
        return None


def main() -> int:
    requirements = locked_requirements()
    packages = [line.split("==")[0] for line in requirements.read_text().splitlines() if "==" in line]
    audited: dict[str, dict] = {}
    for service in ("pypi", "osv"):
        report = audit(requirements, service)
        for dependency in (report or {}).get("dependencies", []):
            if "skip_reason" not in dependency:
                audited.setdefault(dependency["name"], dependency)
        if len(audited) == len(packages):
            break
    fixable, unfixed = [], []
    for dependency in audited.values():
        for vulnerability in dependency.get("vulns", []):
            entry = f"{dependency['name']} {dependency['version']}: {vulnerability['id']}"
            if vulnerability.get("fix_versions"):
                fixable.append(f"{entry} (fixed in {', '.join(vulnerability['fix_versions'])})")
            else:
                unfixed.append(entry)
    missing = sorted(set(packages) - set(audited))
    checked = f"{len(audited)} of {len(packages)}"
    print(f"audit: {checked} locked packages checked against a vulnerability database")
    for line in unfixed:
        print(f"audit: known vulnerability, no fix released yet: {line}")
    if missing:
        print(
            "audit: WARNING: NOT AUDITED — no vulnerability database answered for "
            f"{len(missing)} packages (the PyPI per-release JSON API and OSV are unreachable from this "
            f"machine): {', '.join(missing)}"
        )
    if fixable:
        for line in fixable:
            print(f"audit: FAIL: {line}")
        return 1
    if missing and os.environ.get("QCR_AUDIT_REQUIRED") == "1":
        print("audit: FAIL: QCR_AUDIT_REQUIRED=1 and the audit could not be completed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
