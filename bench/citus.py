"""The lookup and batch figures on Citus next to plain PostgreSQL, in bench/RESULTS.md's Citus section.

    uv run python -m bench.citus --citus-dsn postgresql://postgres@127.0.0.1:9700/postgres \\
        [--n 100000] [--duration 10] [--connections 64]

The same measurement as `bench.run` (every scenario on the ceiling and at once on the product, both
servers up together), twice with the same N and the same generated input: first with both
databases on the plain PostgreSQL at 127.0.0.1:5432 (BENCH_PG_DSN), then with the registry database
on the Citus cluster at `--citus-dsn` (its coordinator's `postgres` database, the workers
registered there). There the database is created on every node with the extension, the nodes are
registered in it, and the migrations distribute the tables (32 shards each, Citus's default); the
ceiling reads the same distributed tables with the product's own statements, so each ratio is
taken within one run. The complaints database stays on PostgreSQL in both. Writes only the section
between the Citus markers of `--out` (bench/RESULTS.md); the full reports of both runs go to
bench/out/. Citus itself is not part of the project: the cluster is brought by whoever runs this.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bench import run
from bench.report import (
    CITUS_BEGIN,
    CITUS_END,
    Measured,
    command,
    machine,
    ratio,
    with_citus_section,
    write_results,
)

SCENARIOS = (
    ("credit lookup, {c} connections", "credit"),
    ("partner batch of 1,000, 8 connections", "batch"),
    ("partner batch of 1,000, 1 connection", "batch 1 conn"),
    ("public search, {c} connections", "search"),
)
PLANS = ("credit lookup", "partner batch")


def _cells(m: Measured, name: str) -> list[str]:
    p, c = m.results[f"product {name}"], m.results[f"ceiling {name}"]
    return [
        f"{p['rps']:,.0f}",
        f"{p['p50_ms']:.1f} / {p['p99_ms']:.1f}",
        f"{c['rps']:,.0f}",
        ratio(p["rps"], c["rps"]),
    ]


def section(args: argparse.Namespace, plain: Measured, citus: Measured) -> list[str]:
    head = (
        "| scenario | PostgreSQL: product req/s | p50 / p99 ms | ceiling req/s | product / ceiling "
        "| Citus: product req/s | p50 / p99 ms | ceiling req/s | product / ceiling | product Citus / PostgreSQL |"
    )
    rows = [head, "|---|---|---|---|---|---|---|---|---|---|"]
    for label, name in SCENARIOS:
        errors = plain.results[f"product {name}"]["errors"] + citus.results[f"product {name}"]["errors"]
        cells = [label.format(c=args.connections), *_cells(plain, name), *_cells(citus, name)]
        cells.append(ratio(citus.results[f"product {name}"]["rps"], plain.results[f"product {name}"]["rps"]))
        rows.append("| " + " | ".join(cells) + " |" + (f" {errors:.0f} errors" if errors else ""))
    lines = [
        CITUS_BEGIN,
        "",
        "## Citus: the same figures on a coordinator with two workers",
        "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with `{command(args, 'bench.citus')}`: "
        f"`bench.run`'s measurement twice at N = {args.n:,} (the same input file), first on plain "
        "PostgreSQL, then with the registry database on the Citus cluster (created on every node with "
        "the extension, the nodes registered in it, the tables distributed by the migrations, 32 shards "
        "each); the complaints database on PostgreSQL in both. Each product / ceiling ratio is taken "
        "within one run, the ceiling reading the same (distributed) tables with the product's statements.",
        "",
        f"- Machine: {machine()}. The coordinator, both workers and the plain PostgreSQL run on these "
        "same 2 cores too, and other work shared the machine during the run: the absolute figures are "
        "low and a Citus request pays for three servers' CPU on two cores; read the ratios.",
        f"- Versions: on Citus {citus.versions}; on plain PostgreSQL {plain.versions}.",
        f"- Data: {plain.events:,} (PostgreSQL) and {citus.events:,} (Citus) credit events; import "
        f"{plain.import_seconds:.1f} s on PostgreSQL, {citus.import_seconds:.1f} s on Citus.",
        "",
        *rows,
        "",
        "A credit lookup on Citus is routed to one shard (one task). The batch's 1,000 codes in one "
        "statement would reach every shard, each task with the whole array; the product groups them by "
        "shard and sends one router statement per group (`reads_citus`), the groups concurrently "
        "(EXPLAIN ANALYZE on the cluster, the one statement first):",
    ]
    for name, plan in citus.plans.items():
        if name.startswith(PLANS):
            lines += ["", f"- {name}:", "", "```", _abridged(plan), "```"]
    return [*lines, "", CITUS_END]


def _abridged(plan: str, keep: int = 14) -> str:
    """The plan without its literal list of 1,000 codes, and cut after `keep` lines."""
    out = []
    for line in plan.splitlines()[:keep]:
        out.append(line if len(line) <= 200 else line[:200] + " …")
    return "\n".join(out + (["…"] if len(plan.splitlines()) > keep else []))


def main(argv: list[str] | None = None) -> int:
    parser = run.parser()
    parser.description = __doc__
    args = parser.parse_args(argv)
    if not args.citus_dsn:
        parser.error("--citus-dsn is required (a Citus coordinator's postgres database, workers registered)")
    out = args.out
    reports = args.work_dir
    reports.mkdir(parents=True, exist_ok=True)
    measured: dict[str, Measured] = {}
    for label, dsn in (("postgresql", None), ("citus", args.citus_dsn)):
        one = argparse.Namespace(**{**vars(args), "citus_dsn": dsn, "scale": 0})
        one.db_prefix = f"{args.db_prefix}_{label}"
        one.out = reports / f"RESULTS-{label}-{args.n}.md"
        print(f"== {label} ==", flush=True)
        try:
            measured[label] = run.measure(one)
            write_results(one, measured[label])
        finally:
            if args.drop_after:
                run.drop_databases(one)
    block = section(args, measured["postgresql"], measured["citus"])
    text = out.read_text() if out.exists() else ""
    out.write_text(with_citus_section(text, block) if text else "\n".join(block) + "\n")
    print("\n".join(block))
    return 0


if __name__ == "__main__":
    sys.exit(main())
