"""bench/RESULTS.md's Citus section: kept when bench.run rewrites the file, replaced by bench.citus;
and, only with QCR_TEST_CITUS_DSN set, `bench.citus` end to end at a small size on that cluster."""

import os
import subprocess
import sys
from pathlib import Path

from bench.report import CITUS_BEGIN, CITUS_END, citus_section, with_citus_section
from tests.processes import ROOT
from tests.support import CITUS_DSN

RESULTS = "# Benchmark results\n\n| table |\n\nQuery plans at N = 10 (EXPLAIN ANALYZE):\n\n- plan\n"


def test_the_citus_section_goes_before_the_plans_and_is_replaced_in_place(tmp_path: Path) -> None:
    first = with_citus_section(RESULTS, [CITUS_BEGIN, "one", CITUS_END])
    assert first.index("one") < first.index("Query plans at N = ") and first.startswith("# Benchmark results")
    second = with_citus_section(first, [CITUS_BEGIN, "two", CITUS_END])
    assert "one" not in second and second.count(CITUS_BEGIN) == 1
    assert second.replace("two", "one") == first
    out = tmp_path / "RESULTS.md"
    out.write_text(second)
    assert citus_section(out) == ["", CITUS_BEGIN, "two", CITUS_END]  # what bench.run writes back
    out.write_text(RESULTS)
    assert citus_section(out) == []


if CITUS_DSN:  # a cluster to run on (tests/conftest.py prints whether Citus was tested)

    def test_bench_citus_runs_end_to_end_at_small_size(tmp_path: Path) -> None:
        out = tmp_path / "RESULTS.md"
        out.write_text(RESULTS)
        command = [sys.executable, "-m", "bench.citus", "--citus-dsn", CITUS_DSN, "--n", "2000"]
        command += ["--duration", "2", "--connections", "8", "--feed-cases", "2", "--out", str(out)]
        command += ["--db-prefix", f"qcr_smoke_citus_{os.getpid()}", "--drop-after"]
        command += ["--work-dir", str(tmp_path / "work")]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        report = out.read_text()
        for scenario in ("credit lookup", "partner batch of 1,000"):
            line = next(x for x in report.splitlines() if x.startswith(f"| {scenario}"))
            cells = [c.strip() for c in line.strip("|").split("|")]
            assert float(cells[1].replace(",", "")) > 0 and float(cells[5].replace(",", "")) > 0, line
            assert not line.endswith("errors"), line
        lookup_plan = report.split("- credit lookup", 2)[1]
        assert "Task Count: 1\n" in lookup_plan.split("```")[1]  # one shard
        assert report.startswith("# Benchmark results") and report.count(CITUS_BEGIN) == 1
