"""A credit lookup reads one shard on Citus: its statement is planned for the one shard that holds the
enterprise (one task), for the first executions and for the generic plan a prepared statement
settles on after five, which is what the reads pool's cached statements run.

On plain PostgreSQL the same statement is an ordinary plan (nothing is distributed).
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.registry.answers.reads_pg import CREDIT, dsn
from tests.conftest import BACKENDS
from tests.support import Backend, code


async def _plans(url: str, uscc: str, times: int = 7) -> list[str]:
    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute(f"PREPARE credit(text, timestamptz) AS {CREDIT}")
        return [
            "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN (COSTS OFF) EXECUTE credit('{uscc}', now())"))
            for _ in range(times)
        ]
    finally:
        await conn.close()


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "citus"] or ["postgresql"], indirect=True)
def test_a_credit_lookup_is_planned_for_one_shard(backend: Backend) -> None:
    plans = asyncio.run(_plans(backend.registry_url, code(7)))
    if backend.name != "citus":
        assert all("Citus" not in plan for plan in plans)
        return
    for plan in plans:
        assert "Task Count: 1\n" in plan, plan
