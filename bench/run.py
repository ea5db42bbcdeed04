"""One command: load, measure the ceiling and the product, write bench/RESULTS.md.

    uv run python -m bench.run [--n 1000000] [--duration 10] [--connections 64] [--scale 10000000]

Runs against the PostgreSQL at 127.0.0.1:5432 (databases qcr_bench_*, dropped and recreated).
The load generator is wrk (Debian's package; installed here when missing), in its own process.
`--citus-dsn` puts the registry database on a Citus cluster instead (bench/citus.py runs both and
writes RESULTS.md's Citus section).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from bench.check import answers, list_entry_inserts, same_answers, worker_rss_mb
from bench.generate import generate
from bench.report import Measured, write_results
from bench.serve import ROOT, ensure_wrk, server, wrk
from services.cli.tokens import mint
from services.common.roles import Role
from services.registry import citus_nodes
from services.registry.answers import reads_citus, reads_pg

OUT = ROOT / "bench" / "out"
ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
READS_POOL = "8"  # connections per worker for the lookups, product and ceiling alike


def sa_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


async def _admin(dsn: str, *statements: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        rows: list[asyncpg.Record] = []
        for sql in statements:
            rows = await conn.fetch(sql)
        return rows
    finally:
        await conn.close()


def sql(dsn: str, *statements: str) -> list[asyncpg.Record]:
    """The rows of the last statement, run in the database at `dsn`."""
    return asyncio.run(_admin(dsn, *statements))


def recreate(admin_dsn: str, database: str, *, citus: bool = False) -> str:
    """`database` dropped and created empty (on every node of a Citus cluster); returns its DSN."""
    if citus:
        asyncio.run(citus_nodes.drop_database(admin_dsn, database))
        asyncio.run(citus_nodes.create_database(admin_dsn, database))
    else:
        sql(admin_dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"')
    return citus_nodes.in_database(admin_dsn, database)


def drop(admin_dsn: str, database: str, *, citus: bool = False) -> None:
    if citus:
        asyncio.run(citus_nodes.drop_database(admin_dsn, database))
    else:
        sql(admin_dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def qcr(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=ROOT,
        text=True,
        env={**os.environ, **env},
        capture_output=True,
        check=True,
    )


def feed_latency(complaints: str, registry: str, data_dir: Path, code: str, cases: int) -> list[float]:
    handler = {"Authorization": f"Bearer {mint(data_dir, Role.handler)}"}
    regulator = {"Authorization": f"Bearer {mint(data_dir, Role.regulator)}"}
    latencies = []
    with httpx.Client(timeout=10) as client:
        for _ in range(cases):
            filed = client.post(
                f"{complaints}/v1/complaints",
                json={
                    "kind": "report",
                    "channel": "12315",
                    "target_uscc": code,
                    "category": "other",
                    "description": "benchmark case",
                },
            ).json()
            for action in ("accept", "investigate"):
                client.post(
                    f"{complaints}/v1/complaints/{filed['id']}/transitions",
                    json={"action": action},
                    headers=handler,
                ).raise_for_status()
            started = time.monotonic()
            client.post(
                f"{complaints}/v1/complaints/{filed['id']}/transitions",
                headers=handler,
                json={"action": "substantiate", "finding": {"severity": "minor"}},
            ).raise_for_status()
            while True:
                events = client.get(
                    f"{registry}/v1/enterprises/{code}/credit-events", params={"limit": 5}, headers=regulator
                ).json()["items"]
                if any(e["source_ref"] == filed["id"] for e in events):
                    break
                if time.monotonic() - started > 30:
                    raise TimeoutError("credit event did not arrive in 30 s")
                time.sleep(0.01)
            latencies.append(time.monotonic() - started)
    return latencies


def fill_by_sql(dsn: str, n: int) -> None:
    """Scale fill: n enterprises straight from generate_series (for lookup latency at size)."""
    sql(
        dsn,
        "TRUNCATE enterprise CASCADE",
        # Lookup latency needs the primary key only; the name, division and grade indexes
        # (the trigram one above all) would make a 10,000,000-row fill take many minutes.
        "DROP INDEX IF EXISTS ix_enterprise_name_gin",
        "DROP INDEX IF EXISTS ix_enterprise_division",
        "DROP INDEX IF EXISTS ix_enterprise_grade",
        "INSERT INTO enterprise (uscc, name, division, registration_authority, entity_type, status, score, "
        "grade, rule_version, explanation, graded_at, created_at, created_by, updated_at) "
        "SELECT '91450100' || lpad(i::text, 10, '0'), '规模测试企业' || i, '450100', '9', '1', 'active', "
        "100, 'A', '2026.1', '[]', now(), now(), 'bench', now() FROM generate_series(1, " + str(n) + ") i",
        "ANALYZE enterprise",
    )


def sample_codes(dsn: str, path: Path, n: int = 5000) -> list[str]:
    rows = sql(dsn, f"SELECT uscc FROM enterprise ORDER BY random() LIMIT {n}")
    codes = [r["uscc"] for r in rows]
    path.write_text("\n".join(codes) + "\n")
    return codes


EXPLAINED = {
    "credit lookup (the row and its list status in one statement)": reads_pg.CREDIT.replace(
        "$1", "'{code}'"
    ).replace("$2", "now()"),
    "public name search (trigram GIN index)": "SELECT uscc, name FROM enterprise WHERE name LIKE '%食品有限公司12%' ORDER BY uscc LIMIT 20",
    "partner batch (1,000 codes, rows and list status in one statement)": reads_pg.BATCH.replace(
        "$1::text[]", "ARRAY[{codes}]"
    ).replace("$2", "now()"),
}


def explain(dsn: str, codes: list[str]) -> dict[str, str]:
    """EXPLAIN ANALYZE of the hot queries, to justify the indexes in RESULTS.md."""
    plans = {}
    for name, statement in EXPLAINED.items():
        query = statement.replace("{code}", codes[0]).replace(
            "{codes}", ", ".join(f"'{c}'" for c in codes[:1000])
        )
        rows = sql(dsn, f"EXPLAIN (ANALYZE, COSTS OFF) {query}")
        plans[name] = "\n".join(r[0] for r in rows)
    plans.update(asyncio.run(_routed_plan(dsn, codes[:1000])))
    return plans


async def _routed_plan(dsn: str, codes: list[str]) -> dict[str, str]:
    """On Citus, the plan of one of the statements the product sends for the batch (one shard's
    codes, `reads_citus`); nothing elsewhere."""
    conn = await asyncpg.connect(dsn)
    try:
        if not await reads_citus.is_distributed(conn):
            return {}
        group = (await conn.fetch(reads_citus.SHARD_GROUPS, codes))[0][0]
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, COSTS OFF) {reads_citus.BATCH}", group, datetime.now(UTC))
    finally:
        await conn.close()
    name = f"partner batch on Citus as the product sends it (one of the shard groups, {len(group)} codes)"
    return {name: "\n".join(r[0] for r in rows)}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1_000_000, help="enterprises to import (~3 events each)")
    p.add_argument("--duration", type=int, default=10, help="seconds per load run")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument(
        "--scale",
        type=int,
        default=0,
        help="also compare lookup latency at 100,000 and at this many enterprises",
    )
    p.add_argument("--feed-cases", type=int, default=20)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    p.add_argument("--db-prefix", default="qcr_bench", help="databases <prefix>_registry / _complaints")
    p.add_argument("--drop-after", action="store_true", help="drop the databases when done")
    p.add_argument("--work-dir", type=Path, default=OUT, help="generated input and request files")
    p.add_argument(
        "--citus-dsn",
        help="put the registry database on this Citus cluster (its coordinator's postgres database, "
        "workers registered there): created on every node with the extension, distributed by the migrations",
    )
    return p


@dataclass
class Prepared:
    """Databases migrated and filled, request files written: what the measurement needs."""

    env: dict[str, str]
    registry_dsn: str
    data_dir: Path
    codes_file: Path
    batch_file: Path
    intake_file: Path
    codes: list[str]
    import_seconds: float
    events: int


def service_env(registry_dsn: str, complaints_dsn: str, data_dir: Path) -> dict[str, str]:
    return {
        "REGISTRY_DATABASE_URL": sa_url(registry_dsn),
        "COMPLAINTS_DATABASE_URL": sa_url(complaints_dsn),
        "REGISTRY_DATA_DIR": str(data_dir),
        "COMPLAINTS_DATA_DIR": str(data_dir),
        "REGISTRY_ENVIRONMENT": "test",
        "COMPLAINTS_ENVIRONMENT": "test",
        "REGISTRY_DB_POOL_SIZE": "10",
        "REGISTRY_READS_POOL_SIZE": READS_POOL,  # the hot path's pool, the same size as the ceiling's
        "COMPLAINTS_DB_POOL_SIZE": "10",
        "COMPLAINTS_INTAKE_RATE": "[100000000, 60]",
        "REGISTRY_SEARCH_RATE": "[100000000, 60]",  # wrk is one client hammering the search
        "COMPLAINTS_DISPATCH_INTERVAL_SECONDS": "0.2",
        "REGISTRY_LOG_LEVEL": "WARNING",
        "COMPLAINTS_LOG_LEVEL": "WARNING",
    }


def prepare(args: argparse.Namespace) -> Prepared:
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="qcr-bench-"))
    reg_db, com_db = f"{args.db_prefix}_registry", f"{args.db_prefix}_complaints"
    citus = bool(args.citus_dsn)
    reg = recreate(args.citus_dsn or ADMIN_DSN, reg_db, citus=citus)
    com = recreate(ADMIN_DSN, com_db)  # the complaints database is never distributed
    env = service_env(reg, com, data_dir)
    qcr("migrate", env=env)  # on Citus, the migrations distribute the registry's tables

    source = work / f"enterprises-{args.n}.jsonl"
    if not source.exists():
        print(f"generating {source.name} ...", flush=True)
        generate(source, args.n)
    print(f"importing {args.n:,} enterprises ...", flush=True)
    started = time.monotonic()
    imported = qcr("import", "enterprises", str(source), env=env)
    import_seconds = time.monotonic() - started
    print(imported.stdout.strip(), flush=True)
    events = sql(reg, "SELECT count(*) AS n FROM credit_event")[0]["n"]

    codes_file = work / "codes.txt"
    codes = sample_codes(reg, codes_file)
    checked = codes[:50]
    graded_a = sql(
        reg,
        f"SELECT uscc FROM enterprise WHERE grade = 'A' AND uscc IN ({', '.join(repr(c) for c in checked[1:])})",
    )
    sql(reg, *list_entry_inserts(checked[0], graded_a[0]["uscc"] if graded_a else checked[1]))
    # Steady state before anything is measured: the import's changes numbered into the feed, grades
    # and list terms current. Left to the servers, it would run during the first measurement.
    started_sweep = time.monotonic()
    qcr("sweep", env=env)
    print(f"sweep after the import: {time.monotonic() - started_sweep:.1f} s", flush=True)
    batch_file = work / "batch.json"
    batch_file.write_text(json.dumps({"usccs": (codes * 2)[:1000]}))
    intake_file = work / "intake.json"
    intake_file.write_text(
        json.dumps(
            {
                # A complaint: a real-name report would be merged into the first one (Order 121
                # Art. 35, one row lock per repeat) and get a scrypt-hashed claim secret, which is
                # not the intake path most filings take.
                "kind": "complaint",
                "channel": "12315",
                "target_uscc": codes[0],
                "category": "other",
                "description": "benchmark intake",
                "reporter": {"name": "测试", "phone": "13800000000"},
            },
            ensure_ascii=False,
        )
    )
    return Prepared(env, reg, data_dir, codes_file, batch_file, intake_file, codes, import_seconds, events)


def measure(args: argparse.Namespace) -> Measured:
    """Prepare the databases, then every scenario on the ceiling and at once on the product."""
    ensure_wrk()
    p = prepare(args)
    env, codes = p.env, p.codes
    plans = explain(p.registry_dsn, codes)
    partner = mint(p.data_dir, Role.partner)
    common = {"CODES_FILE": str(p.codes_file), "BODY_FILE": str(p.batch_file)}
    c, d = args.connections, args.duration
    results: dict[str, dict[str, float]] = {}
    logs = Path(tempfile.mkdtemp(prefix="qcr-bench-logs-"))

    # Both servers up at once, each scenario measured on the ceiling and then at once on the
    # product: on a shared machine the load drifts, and a pair taken minutes apart would compare
    # two different machines. The idle one waits on its sockets.
    with (
        server(
            "bench.ceiling:app", {"CEILING_DSN": p.registry_dsn, "POOL": READS_POOL}, logs / "ceiling.log"
        ) as url,
        server("services.registry.main:app", env, logs / "registry.log") as registry,
    ):
        partner_headers = {"Authorization": f"Bearer {partner}", "X-Purpose": "benchmark"}
        ceiling_bodies = answers(url, codes[:50], p.batch_file.read_bytes(), {})
        same_answers(
            ceiling_bodies, answers(registry, codes[:50], p.batch_file.read_bytes(), partner_headers)
        )
        print(f"body check: ceiling and product agree on {len(ceiling_bodies)} sampled answers", flush=True)
        auth = {**common, "AUTH": partner}
        for name, scenario, conns in (
            ("credit", "credit", c),
            ("batch", "batch", 8),
            ("batch 1 conn", "batch", 1),
            ("search", "search", c),
        ):
            results[f"ceiling {name}"] = wrk(url, scenario, connections=conns, duration=d, env=common)
            product_env = auth if scenario == "batch" else common
            results[f"product {name}"] = wrk(
                registry, scenario, connections=conns, duration=d, env=product_env
            )
            if name == "credit":
                rss = worker_rss_mb(registry.pid)
        with server(
            "services.complaints.main:app",
            {**env, "COMPLAINTS_REGISTRY_URL": registry},
            logs / "complaints.log",
        ) as complaints:
            results["product intake"] = wrk(
                complaints,
                "intake",
                connections=16,
                duration=d,
                env={**common, "BODY_FILE": str(p.intake_file)},
            )
            feed = feed_latency(complaints, registry, p.data_dir, codes[1], args.feed_cases)

    scale: dict[int, dict[str, float]] = {}
    if args.scale:
        for size in (100_000, args.scale):
            print(f"scale fill: {size:,} enterprises ...", flush=True)
            fill_by_sql(p.registry_dsn, size)
            sample_codes(p.registry_dsn, p.codes_file)
            with server("services.registry.main:app", env, logs / f"registry-{size}.log") as registry:
                wrk(registry, "credit", connections=8, duration=max(2, d // 3), env=common)  # warm-up
                scale[size] = wrk(registry, "credit", connections=8, duration=d, env=common)
    return Measured(
        results,
        feed,
        p.import_seconds,
        p.events,
        plans,
        rss,
        len(ceiling_bodies),
        versions(p.registry_dsn),
        scale,
    )


def drop_databases(args: argparse.Namespace) -> None:
    drop(args.citus_dsn or ADMIN_DSN, f"{args.db_prefix}_registry", citus=bool(args.citus_dsn))
    drop(ADMIN_DSN, f"{args.db_prefix}_complaints")


def versions(registry_dsn: str) -> str:
    server_version, citus = sql(
        registry_dsn,
        "SELECT current_setting('server_version'), "
        "(SELECT extversion FROM pg_extension WHERE extname = 'citus')",
    )[0]
    import fastapi
    import sqlalchemy
    import uvicorn

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return (
        f"Python {platform.python_version()}, PostgreSQL {server_version}"
        + (f" with Citus {citus}" if citus else "")
        + f", FastAPI {fastapi.__version__}, SQLAlchemy {sqlalchemy.__version__}, uvicorn {uvicorn.__version__}, "
        f"{wrk_version.strip()}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        write_results(args, measure(args))
    finally:
        if args.drop_after:
            drop_databases(args)
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
