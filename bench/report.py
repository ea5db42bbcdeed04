"""bench/RESULTS.md from one measurement (`bench.run`), keeping the Citus section `bench.citus` wrote."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.serve import ROOT, WORKERS

CITUS_BEGIN = "<!-- citus: written by `python -m bench.citus`; bench.run keeps it -->"
CITUS_END = "<!-- /citus -->"
PLANS_HEADING = "Query plans at N = "


@dataclass
class Measured:
    """One run of the benchmark: wrk figures by name ('product credit', 'ceiling batch', …) and the rest."""

    results: dict[str, dict[str, float]]
    feed: list[float]
    import_seconds: float
    events: int
    plans: dict[str, str]
    rss: list[float]
    checked: int
    versions: str
    scale: dict[int, dict[str, float]] = field(default_factory=dict)


def ratio(product: float, ceiling: float) -> str:
    return f"{product / ceiling:.0%}" if ceiling else "n/a"


def row(r: dict[str, dict[str, float]], name: str, product: str, ceiling: str | None) -> str:
    p = r[product]
    cells = [name, f"{p['rps']:,.0f}", f"{p['p50_ms']:.1f}", f"{p['p99_ms']:.1f}", f"{p['errors']:.0f}"]
    if ceiling:
        cl = r[ceiling]
        cells += [
            f"{cl['rps']:,.0f}",
            f"{cl['p50_ms']:.1f}",
            f"{cl['p99_ms']:.1f}",
            ratio(p["rps"], cl["rps"]),
        ]
    else:
        cells += ["–", "–", "–", "–"]
    return "| " + " | ".join(cells) + " |"


TABLE_HEAD = [
    "| scenario | product req/s | p50 ms | p99 ms | errors | ceiling req/s | p50 ms | p99 ms | product / ceiling |",
    "|---|---|---|---|---|---|---|---|---|",
]


def scenario_rows(r: dict[str, dict[str, float]], connections: int) -> list[str]:
    return [
        row(r, f"credit lookup, {connections} connections", "product credit", "ceiling credit"),
        row(r, "partner batch of 1,000, 8 connections", "product batch", "ceiling batch"),
        row(r, "partner batch of 1,000, 1 connection", "product batch 1 conn", "ceiling batch 1 conn"),
        row(r, f"public search, {connections} connections", "product search", "ceiling search"),
        row(r, "complaint intake, 16 connections", "product intake", None),
    ]


def command(args: argparse.Namespace, module: str = "bench.run") -> str:
    extra = f" --scale {args.scale}" if getattr(args, "scale", 0) else ""
    if module == "bench.run" and getattr(args, "citus_dsn", None):
        extra += f" --citus-dsn {args.citus_dsn}"
    if module == "bench.citus":
        extra += f" --citus-dsn {args.citus_dsn}"
    return (
        f"uv run python -m {module} --n {args.n} --duration {args.duration} --connections {args.connections}"
        + extra
    )


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, {platform.machine()}, {platform.platform()}; load generator wrk "
        "on the same machine (it competes for the same 2 cores)"
    )


def citus_section(path: Path) -> list[str]:
    """The Citus section of an existing RESULTS.md (with its markers), or nothing."""
    if not path.exists():
        return []
    text = path.read_text()
    if CITUS_BEGIN not in text or CITUS_END not in text:
        return []
    start, end = text.index(CITUS_BEGIN), text.index(CITUS_END) + len(CITUS_END)
    return ["", *text[start:end].splitlines()]


def with_citus_section(text: str, section: list[str]) -> str:
    """`text` (a RESULTS.md) with its Citus section replaced by `section`, or `section` put before
    the query plans."""
    if CITUS_BEGIN in text and CITUS_END in text:
        start, end = text.index(CITUS_BEGIN), text.index(CITUS_END) + len(CITUS_END)
        return text[:start] + "\n".join(section) + text[end:]
    at = text.find(PLANS_HEADING)
    at = len(text) if at < 0 else at
    return text[:at] + "\n".join(section) + "\n\n" + text[at:]


def write_results(args: argparse.Namespace, m: Measured) -> None:
    where = (
        f"the registry database on the Citus cluster at {args.citus_dsn} (the complaints one on PostgreSQL)"
        if getattr(args, "citus_dsn", None)
        else "PostgreSQL"
    )
    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with `{command(args)}`, {where}.",
        "",
        f"- Machine: {machine()}.",
        f"- Versions: {m.versions}.",
        f"- Servers: uvicorn, {WORKERS} workers, uvloop + httptools, for the ceiling and the product alike; "
        "product request logs at WARNING; both up together, each scenario on the ceiling and then at once on the product.",
        f"- Data: N = {args.n:,} enterprises with {m.events:,} credit events.",
        "",
        *TABLE_HEAD,
        *scenario_rows(m.results, args.connections),
        "",
        f"- Import: {args.n:,} enterprises and {m.events:,} events through `qcr import enterprises` in "
        f"{m.import_seconds:.1f} s ({args.n / m.import_seconds:,.0f} enterprises/s).",
        f"- Complaint → registry credit event ({len(m.feed)} cases, substantiate answered → event readable "
        f"at the registry): p50 {statistics.median(m.feed) * 1000:.0f} ms, max {max(m.feed) * 1000:.0f} ms.",
        "- Worker resident memory after the credit lookup run: "
        + ", ".join(f"{mb:.0f} MB" for mb in m.rss)
        + f" ({len(m.rss)} workers).",
        f"- Body check: the ceiling and the product gave the same JSON (as_of aside) for {m.checked} sampled "
        "answers (credit lookups, two of them with list entries, the batch, searches) before measuring.",
    ]
    if m.scale:
        small, large = sorted(m.scale)
        s, g = m.scale[small], m.scale[large]
        lines += [
            "",
            f"Lookup latency at scale (8 connections, fill by SQL): {small:,} enterprises p50 "
            f"{s['p50_ms']:.2f} ms / p99 {s['p99_ms']:.2f} ms; {large:,} enterprises "
            f"p50 {g['p50_ms']:.2f} ms / p99 {g['p99_ms']:.2f} ms (p50 ratio {g['p50_ms'] / s['p50_ms']:.2f}).",
        ]
    lines += citus_section(args.out)
    lines += ["", f"{PLANS_HEADING}{args.n:,} (EXPLAIN ANALYZE):"]
    for name, plan in m.plans.items():
        lines += ["", f"- {name}:", "", "```", plan, "```"]
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    args.out.write_text("\n".join(lines) + "\n")
