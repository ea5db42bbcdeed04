"""The write scenario: credit events by 1 and by 16 concurrent clients, and API writes during a regrade.

    python -m bench.writes [--root DIR] [--label L] [--enterprises 100000] [--writes 400]

`--root` runs another checkout's code (e.g. `git archive main | tar -x -C /tmp/qcr-main`) with this
environment, so before/after use one machine, one database server and one client. Each run makes
its own database (qcr_bench_writes_<label>), fills N enterprises by SQL (graded under an old rules
version, so a regrade has all N to do), serves the registry with uvicorn (2 workers) and drives it
from this process with httpx. Prints one JSON line; bench/RESULTS.md quotes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from bench.generate import code_for
from bench.run import ADMIN_DSN, drop, recreate, sa_url
from bench.serve import WORKERS, free_port
from services.cli.tokens import mint
from services.common.roles import Role

ROOT = Path(__file__).resolve().parents[1]


def _qcr(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=root,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root), **env},
        capture_output=True,
        check=True,
    )


@contextmanager
def serve(root: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """The registry from `root` (its cwd comes first on sys.path), as bench/run.py serves it."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "services.registry.main:app", "--port", str(port)]
    command += ["--workers", str(WORKERS), "--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    with log.open("w") as fh:
        process = subprocess.Popen(
            command, cwd=root, env={**os.environ, **env}, stdout=fh, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 300  # a loaded machine starts slowly
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=10).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the registry did not start; see {log}")
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            process.wait(30)


def _fill(dsn: str, n: int) -> list[str]:
    codes = [code_for(i) for i in range(n)]
    rows = "\n".join(f"{c}\t规模测试企业{i}" for i, c in enumerate(codes))

    async def go() -> None:
        import asyncpg

        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("CREATE TEMP TABLE fill (uscc text, name text)")
            await conn.copy_to_table("fill", source=__import__("io").BytesIO(rows.encode()), format="text")
            await conn.execute(
                "INSERT INTO enterprise (uscc, name, division, registration_authority, entity_type, status, "
                "score, grade, rule_version, explanation, graded_at, created_at, created_by, updated_at) "
                "SELECT uscc, name, substr(uscc, 3, 6), '9', '1', 'active', 100, 'A', '2025.0-old', '[]', "
                "now(), now(), 'bench', now() FROM fill"
            )
            await conn.execute("ANALYZE enterprise")
        finally:
            await conn.close()

    asyncio.run(go())
    return codes


def _event(ref: str) -> dict[str, str]:
    return {
        "kind": "spot_check_failed",
        "severity": "minor",
        "authority": "基准测试市场监督管理局",
        "source_ref": ref,
        "occurred_at": "2026-11-01T00:00:00Z",
    }


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat (Linux)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


class Waits:
    """What the database's backends waited on while writes ran: sampled from pg_stat_activity
    every 20 ms, so "16 writers are not 16× one" can be told apart as lock waits (writers queued
    behind each other) or CPU (the cores were busy)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.samples = 0
        self.lock_waiting = 0  # samples where at least one backend waited on a lock
        self.lwlock_waiting = 0
        self._stop = asyncio.Event()

    async def run(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.dsn)
        try:
            while not self._stop.is_set():
                row = await conn.fetchrow(
                    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock') AS lock, "
                    "count(*) FILTER (WHERE wait_event_type = 'LWLock') AS lwlock "
                    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                self.samples += 1
                self.lock_waiting += row["lock"] > 0
                self.lwlock_waiting += row["lwlock"] > 0
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 0.02)
        finally:
            await conn.close()

    def stop(self) -> None:
        self._stop.set()


async def _sampled_writes(
    url: str, token: str, codes: list[str], clients: int, tag: str, dsn: str
) -> tuple[float, list[float], dict[str, float]]:
    """`_writes`, with the share of lock-wait samples and of busy CPU while it ran."""
    waits = Waits(dsn)
    sampler = asyncio.create_task(waits.run())
    busy0, total0 = _cpu_ticks()
    rate, latencies = await _writes(url, token, codes, clients, tag)
    busy1, total1 = _cpu_ticks()
    waits.stop()
    await sampler
    share = max(waits.samples, 1)
    return (
        rate,
        latencies,
        {
            "lock_wait_share": round(waits.lock_waiting / share, 3),
            "lwlock_wait_share": round(waits.lwlock_waiting / share, 3),
            "cpu_busy_share": round((busy1 - busy0) / max(total1 - total0, 1), 3),
        },
    )


async def _writes(
    url: str, token: str, codes: list[str], clients: int, tag: str
) -> tuple[float, list[float]]:
    """POST one event to each code, `clients` at a time; (events/s, latencies in ms)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for c in codes:
        queue.put_nowait(c)
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
            while not queue.empty():
                c = queue.get_nowait()
                started = time.perf_counter()
                answer = await http.post(f"/v1/enterprises/{c}/credit-events", json=_event(f"{tag}-{c}"))
                latencies.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 201, answer.text

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(codes) / (time.perf_counter() - started), latencies


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]


async def _during_regrade(
    url: str, token: str, codes: list[str], regrade: subprocess.Popen[str]
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    i = 0
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        while regrade.poll() is None and i < len(codes):
            c = codes[i]
            i += 1
            started = time.perf_counter()
            answer = await http.post(f"/v1/enterprises/{c}/credit-events", json=_event(f"R-{c}"))
            latencies.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 201, answer.text
    return i, latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--label", default="after")
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--writes", type=int, default=400)
    args = parser.parse_args(argv)
    database = f"qcr_bench_writes_{args.label}"
    dsn = recreate(ADMIN_DSN, database)
    data_dir = Path(tempfile.mkdtemp(prefix="qcr-bench-writes-"))
    env = {
        "REGISTRY_DATABASE_URL": sa_url(dsn),
        "REGISTRY_DATA_DIR": str(data_dir),
        "REGISTRY_ENVIRONMENT": "dev",
        "REGISTRY_SWEEP_INTERVAL_SECONDS": "0",
        "REGISTRY_WEBHOOKS_ENABLED": "false",
        "REGISTRY_DB_POOL_SIZE": "20",
    }
    _qcr(args.root, "migrate", "registry", env=env)
    codes = _fill(dsn, args.enterprises)
    token = mint(data_dir, Role.regulator, subject="bench", ttl=7200)
    result: dict[str, object] = {"label": args.label, "enterprises": args.enterprises, "writes": args.writes}
    log = data_dir / "server.log"
    with serve(args.root, {**env, "PYTHONPATH": str(args.root)}, log) as url:
        w = args.writes
        one, lat1, seen1 = asyncio.run(_sampled_writes(url, token, codes[:w], 1, "S", dsn))
        sixteen, lat16, seen16 = asyncio.run(
            _sampled_writes(url, token, codes[w : w + 16 * w // 4], 16, "M", dsn)
        )
        result.update(
            {
                "events_per_s_1": round(one, 1),
                "events_per_s_16": round(sixteen, 1),
                "ratio_16_to_1": round(sixteen / one, 2),
                "p99_ms_1": round(p99(lat1), 1),
                "p99_ms_16": round(p99(lat16), 1),
                "waits_1": seen1,
                "waits_16": seen16,
            }
        )
        started = time.perf_counter()
        regrade = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "regrade"],
            cwd=args.root,
            env={**os.environ, "PYTHONPATH": str(args.root), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        done, during = asyncio.run(_during_regrade(url, token, codes[-20_000:], regrade))
        out, _ = regrade.communicate(timeout=3600)
        seconds = time.perf_counter() - started
        result.update(
            {
                "regrade_seconds": round(seconds, 1),
                "regrade_output": out.strip().splitlines()[-1] if out.strip() else "",
                "writes_during_regrade": done,
                "p50_ms_during_regrade": round(statistics.median(during), 1) if during else None,
                "p99_ms_during_regrade": round(p99(during), 1) if during else None,
            }
        )
    drop(ADMIN_DSN, database)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
