"""One command: load, measure the ceiling and the product, write bench/RESULTS.md.

    uv run python -m bench.run [--n 1000000] [--duration 10] [--connections 64] [--scale 10000000]

Runs against the PostgreSQL at 127.0.0.1:5432 (databases qcr_bench_*, dropped and recreated).
The load generator is wrk (Debian's package; installed here when missing), in its own process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from bench.check import answers, list_entry_inserts, same_answers, worker_rss_mb
from bench.generate import generate
from services.cli.tokens import mint
from services.common.roles import Role
from services.registry.answers import reads_pg

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
WORKERS = 2
READS_POOL = "8"  # connections per worker for the lookups, product and ceiling alike


def pg_dsn(database: str) -> str:
    return ADMIN_DSN.rsplit("/", 1)[0] + "/" + database


def sa_url(database: str) -> str:
    return pg_dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    assert found, "wrk could not be installed"
    return found


async def _admin(*statements: str, database: str = "postgres") -> list[asyncpg.Record]:
    conn = await asyncpg.connect(pg_dsn(database))
    try:
        rows: list[asyncpg.Record] = []
        for sql in statements:
            rows = await conn.fetch(sql)
        return rows
    finally:
        await conn.close()


def recreate(database: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"'))


def qcr(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=ROOT,
        text=True,
        env={**os.environ, **env},
        capture_output=True,
        check=True,
    )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served(str):
    """A server's base URL, with the process id of its uvicorn supervisor."""

    pid: int


@contextmanager
def server(app: str, env: dict[str, str], log: Path) -> Iterator[Served]:
    port = free_port()
    with log.open("w") as fh:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(WORKERS),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        url = Served(f"http://127.0.0.1:{port}")
        url.pid = process.pid
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(url + "/v1/enterprises?limit=1", timeout=1).status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{app} did not start; see {log}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(30)


def wrk(url: str, scenario: str, *, connections: int, duration: int, env: dict[str, str]) -> dict[str, float]:
    command = [
        "wrk",
        "-t",
        str(min(2, connections)),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "wrk.lua"),
        url,
    ]
    result = subprocess.run(
        command, text=True, capture_output=True, check=True, env={**os.environ, "SCENARIO": scenario, **env}
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": data["errors"],
        "requests": data["requests"],
    }


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


def fill_by_sql(database: str, n: int) -> None:
    """Scale fill: n enterprises straight from generate_series (for lookup latency at size)."""
    asyncio.run(
        _admin(
            "TRUNCATE enterprise CASCADE",
            # Lookup latency needs the primary key only; the name, division and grade indexes
            # (the trigram one above all) would make a 10,000,000-row fill take many minutes.
            "DROP INDEX IF EXISTS ix_enterprise_name_gin",
            "DROP INDEX IF EXISTS ix_enterprise_division",
            "DROP INDEX IF EXISTS ix_enterprise_grade",
            "INSERT INTO enterprise (uscc, name, division, registration_authority, entity_type, status, score, "
            "grade, rule_version, explanation, graded_at, created_at, created_by, updated_at) "
            "SELECT '91450100' || lpad(i::text, 10, '0'), '规模测试企业' || i, '450100', '9', '1', 'active', "
            "100, 'A', '2026.1', '[]', now(), now(), 'bench', now() FROM generate_series(1, "
            + str(n)
            + ") i",
            "ANALYZE enterprise",
            database=database,
        )
    )


def sample_codes(database: str, path: Path, n: int = 5000) -> list[str]:
    rows = asyncio.run(_admin(f"SELECT uscc FROM enterprise ORDER BY random() LIMIT {n}", database=database))
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


def explain(database: str, codes: list[str]) -> dict[str, str]:
    """EXPLAIN ANALYZE of the hot queries, to justify the indexes in RESULTS.md."""
    plans = {}
    for name, sql in EXPLAINED.items():
        query = sql.replace("{code}", codes[0]).replace("{codes}", ", ".join(f"'{c}'" for c in codes[:1000]))
        rows = asyncio.run(_admin(f"EXPLAIN (ANALYZE, COSTS OFF) {query}", database=database))
        plans[name] = "\n".join(r[0] for r in rows)
    return plans


def ratio(product: float, ceiling: float) -> str:
    return f"{product / ceiling:.0%}" if ceiling else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="enterprises to import (~3 events each)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        help="also compare lookup latency at 100,000 and at this many enterprises",
    )
    parser.add_argument("--feed-cases", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--db-prefix", default="qcr_bench", help="databases <prefix>_registry / _complaints")
    parser.add_argument("--drop-after", action="store_true", help="drop the databases when done")
    parser.add_argument("--work-dir", type=Path, default=OUT, help="generated input and request files")
    args = parser.parse_args(argv)

    ensure_wrk()
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="qcr-bench-"))
    reg_db, com_db = f"{args.db_prefix}_registry", f"{args.db_prefix}_complaints"
    for db in (reg_db, com_db):
        recreate(db)
    env = {
        "REGISTRY_DATABASE_URL": sa_url(reg_db),
        "COMPLAINTS_DATABASE_URL": sa_url(com_db),
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
    qcr("migrate", env=env)

    source = work / f"enterprises-{args.n}.jsonl"
    if not source.exists():
        print(f"generating {source.name} ...", flush=True)
        generate(source, args.n)
    print(f"importing {args.n:,} enterprises ...", flush=True)
    started = time.monotonic()
    imported = qcr("import", "enterprises", str(source), env=env)
    import_seconds = time.monotonic() - started
    print(imported.stdout.strip(), flush=True)
    event_count = asyncio.run(_admin("SELECT count(*) AS n FROM credit_event", database=reg_db))[0]["n"]

    codes_file = work / "codes.txt"
    codes = sample_codes(reg_db, codes_file)
    checked = codes[:50]
    graded_a = asyncio.run(
        _admin(
            f"SELECT uscc FROM enterprise WHERE grade = 'A' AND uscc IN ({', '.join(repr(c) for c in checked[1:])})",
            database=reg_db,
        )
    )
    asyncio.run(
        _admin(
            *list_entry_inserts(checked[0], graded_a[0]["uscc"] if graded_a else checked[1]), database=reg_db
        )
    )
    # Steady state before anything is measured: the import's changes numbered into the feed, grades
    # and list terms current. Left to the servers, it would run during the first measurement.
    started_sweep = time.monotonic()
    qcr("sweep", env=env)
    sweep_seconds = time.monotonic() - started_sweep
    print(f"sweep after the import: {sweep_seconds:.1f} s", flush=True)
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
    plans = explain(reg_db, codes)
    partner = mint(data_dir, Role.partner)
    common = {"CODES_FILE": str(codes_file), "BODY_FILE": str(batch_file)}
    c, d = args.connections, args.duration
    results: dict[str, dict[str, float]] = {}
    logs = Path(tempfile.mkdtemp(prefix="qcr-bench-logs-"))

    # Both servers up at once, each scenario measured on the ceiling and then at once on the
    # product: on a shared machine the load drifts, and a pair taken minutes apart would compare
    # two different machines. The idle one waits on its sockets.
    with (
        server(
            "bench.ceiling:app", {"CEILING_DSN": pg_dsn(reg_db), "POOL": READS_POOL}, logs / "ceiling.log"
        ) as url,
        server("services.registry.main:app", env, logs / "registry.log") as registry,
    ):
        partner_headers = {"Authorization": f"Bearer {partner}", "X-Purpose": "benchmark"}
        ceiling_bodies = answers(url, checked, batch_file.read_bytes(), {})
        same_answers(ceiling_bodies, answers(registry, checked, batch_file.read_bytes(), partner_headers))
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
                env={**common, "BODY_FILE": str(intake_file)},
            )
            feed = feed_latency(complaints, registry, data_dir, codes[1], args.feed_cases)

    scale: dict[int, dict[str, float]] = {}
    if args.scale:
        for size in (100_000, args.scale):
            print(f"scale fill: {size:,} enterprises ...", flush=True)
            fill_by_sql(reg_db, size)
            sample_codes(reg_db, codes_file)
            with server("services.registry.main:app", env, logs / f"registry-{size}.log") as registry:
                wrk(registry, "credit", connections=8, duration=max(2, d // 3), env=common)  # warm-up
                scale[size] = wrk(registry, "credit", connections=8, duration=d, env=common)

    write_results(args, results, feed, import_seconds, event_count, scale, plans, rss, len(ceiling_bodies))
    if args.drop_after:
        for db in (reg_db, com_db):
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    print((args.out).read_text())
    return 0


def _versions() -> str:
    pg = asyncio.run(_admin("SHOW server_version"))[0][0]
    import fastapi
    import sqlalchemy
    import uvicorn

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return (
        f"Python {platform.python_version()}, PostgreSQL {pg}, FastAPI {fastapi.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}, uvicorn {uvicorn.__version__}, {wrk_version.strip()}"
    )


def write_results(
    args: argparse.Namespace,
    r: dict[str, dict[str, float]],
    feed: list[float],
    import_seconds: float,
    events: int,
    scale: dict[int, dict[str, float]],
    plans: dict[str, str],
    rss: list[float],
    checked: int,
) -> None:
    def row(name: str, product: str, ceiling: str | None) -> str:
        p = r[product]
        cl = r[ceiling] if ceiling else None
        cells = [name, f"{p['rps']:,.0f}", f"{p['p50_ms']:.1f}", f"{p['p99_ms']:.1f}", f"{p['errors']:.0f}"]
        if cl:
            cells += [
                f"{cl['rps']:,.0f}",
                f"{cl['p50_ms']:.1f}",
                f"{cl['p99_ms']:.1f}",
                ratio(p["rps"], cl["rps"]),
            ]
        else:
            cells += ["–", "–", "–", "–"]
        return "| " + " | ".join(cells) + " |"

    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with `uv run python -m bench.run --n {args.n}"
        f" --duration {args.duration} --connections {args.connections}"
        + (f" --scale {args.scale}" if args.scale else "")
        + "`.",
        "",
        f"- Machine: {os.cpu_count()} cores, {platform.machine()}, {platform.platform()}; load generator wrk "
        "on the same machine (it competes for the same 2 cores).",
        f"- Versions: {_versions()}.",
        f"- Servers: uvicorn, {WORKERS} workers, uvloop + httptools, for the ceiling and the product alike; "
        "product request logs at WARNING; both up together, each scenario on the ceiling and then at once on the product.",
        f"- Data: N = {args.n:,} enterprises with {events:,} credit events.",
        "",
        "| scenario | product req/s | p50 ms | p99 ms | errors | ceiling req/s | p50 ms | p99 ms | product / ceiling |",
        "|---|---|---|---|---|---|---|---|---|",
        row(f"credit lookup, {args.connections} connections", "product credit", "ceiling credit"),
        row("partner batch of 1,000, 8 connections", "product batch", "ceiling batch"),
        row("partner batch of 1,000, 1 connection", "product batch 1 conn", "ceiling batch 1 conn"),
        row(f"public search, {args.connections} connections", "product search", "ceiling search"),
        row("complaint intake, 16 connections", "product intake", None),
        "",
        f"- Import: {args.n:,} enterprises and {events:,} events through `qcr import enterprises` in "
        f"{import_seconds:.1f} s ({args.n / import_seconds:,.0f} enterprises/s).",
        f"- Complaint → registry credit event ({len(feed)} cases, substantiate answered → event readable "
        f"at the registry): p50 {statistics.median(feed) * 1000:.0f} ms, max {max(feed) * 1000:.0f} ms.",
        "- Worker resident memory after the credit lookup run: "
        + ", ".join(f"{mb:.0f} MB" for mb in rss)
        + f" ({len(rss)} workers).",
        f"- Body check: the ceiling and the product gave the same JSON (as_of aside) for {checked} sampled "
        "answers (credit lookups, two of them with list entries, the batch, searches) before measuring.",
    ]
    if scale:
        small, large = sorted(scale)
        lines += [
            "",
            f"Lookup latency at scale (8 connections, fill by SQL): {small:,} enterprises p50 "
            f"{scale[small]['p50_ms']:.2f} ms / p99 {scale[small]['p99_ms']:.2f} ms; {large:,} enterprises "
            f"p50 {scale[large]['p50_ms']:.2f} ms / p99 {scale[large]['p99_ms']:.2f} ms "
            f"(p50 ratio {scale[large]['p50_ms'] / scale[small]['p50_ms']:.2f}).",
        ]
    lines += ["", f"Query plans at N = {args.n:,} (EXPLAIN ANALYZE):"]
    for name, plan in plans.items():
        lines += ["", f"- {name}:", "", "```", plan, "```"]
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
