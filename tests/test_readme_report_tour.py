"""The README credit-report tour, run as it stands against `qcr dev`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pypdf import PdfReader

from tests.processes import ROOT, dev_services


def tour_script(data_dir: Path, registry: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- report-tour -->\n```sh\n(.*?)\n```", readme, flags=re.S)
    assert block, "README lost its report tour"
    return (
        block.group(1)
        .replace("http://localhost:8001", registry)
        .replace("localhost:8001", registry.removeprefix("http://"))
        .replace("./qcr token", f"./qcr token --data-dir {data_dir}")
        .replace("report.pdf", str(data_dir / "report.pdf"))
    )


def test_report_tour_issues_verifies_sees_the_change_and_asks_for_measures(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "dev.log"
    with dev_services(data_dir, log) as dev:
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", tour_script(data_dir, dev.registry)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
        )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert lines[0] == "genuine valid record unchanged", run.stdout
    assert lines[1] == "genuine valid record changed since issue", run.stdout
    measures = dict(line.split(" ", 1) for line in lines[2:5])
    assert "procurement.black_list_factor" in measures["91450600MA5L00021W"], run.stdout
    assert measures["91450600MA5L000132"] == "-", run.stdout
    assert "procurement.red_list_note" in measures["91330100MA2H00049L"], run.stdout
    pdf = PdfReader(data_dir / "report.pdf")
    assert "91450600MA5L00021W" in (pdf.pages[0].extract_text() or "").replace("\x00", "")
