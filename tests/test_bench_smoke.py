"""The benchmark harness at a small size, so it cannot rot (speed is measured in bench/, not asserted)."""

import os
import subprocess
import sys
from pathlib import Path

from tests.processes import ROOT


def test_bench_runs_end_to_end_at_small_size(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--n",
            "10000",
            "--duration",
            "3",  # a batch of 1,000 on a loaded 2-core machine can outlast a 1 s window
            "--connections",
            "8",
            "--feed-cases",
            "2",
            "--db-prefix",
            f"qcr_smoke_{os.getpid()}",
            "--drop-after",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = out.read_text()
    for scenario in ("credit lookup", "partner batch of 1,000", "public search", "complaint intake"):
        line = next(x for x in report.splitlines() if x.startswith(f"| {scenario}"))
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert float(cells[1].replace(",", "")) > 0 and cells[4] == "0", line  # requests served, no errors
    assert "10,000 enterprises" in report and "Complaint → registry credit event" in report
