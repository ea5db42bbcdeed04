"""The partner batch's statements alone on a Citus database `bench.citus` filled (no HTTP, no wrk).

    uv run python -m bench.citus_batch --dsn postgresql://postgres@127.0.0.1:9700/qcr_bench_citus_registry \\
        [--body bench/out/batch.json] [--seconds 8]

The batch file's codes through one asyncpg pool of 8 (the product's reads pool per process), 1 and
8 clients each: the one statement as plain PostgreSQL runs it (Citus's default executor settings,
then one executor connection per worker) and the product's Citus path (`reads_citus`: grouped by
shard, one router statement per group). Every way's rows are compared with the first's before it is
timed. Prints batches per second and the median; bench/NOTES.md quotes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench.serve import ROOT
from services.registry.answers import reads_citus, reads_pg

Batch = Callable[[asyncpg.Pool, Sequence[str], datetime], Awaitable[list[asyncpg.Record]]]


async def one_statement(pool: asyncpg.Pool, codes: Sequence[str], now: datetime) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(reads_pg.BATCH, list(codes), now))


WAYS: list[tuple[str, dict[str, str], Batch]] = [
    ("one statement, Citus defaults", {}, one_statement),
    ("one statement, one executor connection per worker", reads_citus.SESSION, one_statement),
    ("grouped by shard, one router statement per group", reads_citus.SESSION, reads_citus.routed_batch),
]


async def _timed(pool: asyncpg.Pool, batch: Batch, codes: list[str], clients: int, seconds: float) -> str:
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def client() -> None:
        while time.monotonic() < stop:
            started = time.monotonic()
            await batch(pool, codes, datetime.now(UTC))
            latencies.append(time.monotonic() - started)

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    rate = len(latencies) / (time.monotonic() - started)
    return f"{clients} client(s): {rate:5.1f} batches/s, median {statistics.median(latencies) * 1000:6.1f} ms"


async def measure(dsn: str, codes: list[str], seconds: float) -> None:
    expected: dict[str, tuple[object, ...]] | None = None
    for label, settings, batch in WAYS:
        pool = await asyncpg.create_pool(
            dsn, min_size=8, max_size=8, reset=reads_pg.keep_session, server_settings=settings
        )
        try:
            now = datetime.now(UTC)
            rows = {r[0]: tuple(r) for r in await batch(pool, codes, now)}
            expected = expected if expected is not None else rows
            assert rows == expected, f"{label}: other rows than the first way's"
            for clients in (1, 8):
                print(f"{label}, {await _timed(pool, batch, codes, clients, seconds)}", flush=True)
        finally:
            await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dsn", required=True, help="a registry database on Citus, filled by bench.citus")
    parser.add_argument("--body", type=Path, default=ROOT / "bench" / "out" / "batch.json")
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args(argv)
    codes = sorted(set(json.loads(args.body.read_text())["usccs"]))
    asyncio.run(measure(args.dsn, codes, args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
