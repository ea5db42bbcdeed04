"""The partner batch on Citus: the codes grouped by shard, each group one router statement (one task),
the answers those of the one statement plain PostgreSQL runs; the reads pool's Citus settings.

On plain PostgreSQL the reads are the plain ones: one statement, no Citus setting, no grouping.
"""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.answers import reads_citus
from services.registry.answers.reads_pg import PgReads, dsn, open_reads
from tests.conftest import BACKENDS
from tests.registry.test_lists import blacklist, entry_body, propose, red_body
from tests.support import Backend, Tokens, code, register

ON_CITUS = [b for b in BACKENDS if b == "citus"] or ["postgresql"]


@pytest.mark.parametrize("backend", ON_CITUS, indirect=True)
async def test_the_batch_reads_fit_the_database(backend: Backend) -> None:
    reads = await open_reads(backend.registry_url, pool_size=1)
    try:
        async with reads.pool.acquire() as conn:
            if backend.name == "citus":
                assert isinstance(reads, reads_citus.CitusReads)
                assert await conn.fetchval("SHOW citus.max_adaptive_executor_pool_size") == "1"
            else:
                assert type(reads) is PgReads
                assert not await reads_citus.is_distributed(conn)
    finally:
        await reads.close()


async def _plans(url: str, group: list[str], times: int = 7) -> list[str]:
    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute(f"PREPARE routed(text[], timestamptz) AS {reads_citus.BATCH}")
        literal = "ARRAY[" + ", ".join(f"'{c}'" for c in group) + "]"
        return [
            "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN (COSTS OFF) EXECUTE routed({literal}, now())"))
            for _ in range(times)
        ]
    finally:
        await conn.close()


@pytest.mark.parametrize("backend", ON_CITUS, indirect=True)
async def test_the_routed_batch_answers_as_one_statement_one_shard_per_statement(
    backend: Backend, registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    codes = [code(n) for n in range(12)]
    for c in codes:
        await register(registry, reg, c)
    await blacklist(registry, reg, clock, codes[0])
    await propose(registry, reg, red_body(codes[1]))
    await propose(registry, reg, entry_body(codes[2]))  # proposed only: on no list
    wanted = sorted([*codes, code(900), code(901)])  # two codes not registered
    reads = registry_app.state.reads
    now = clock.now()
    async with reads.pool.acquire() as conn:
        single = {r[0]: tuple(r) for r in await conn.fetch(reads_citus.BATCH, wanted, now)}
    assert await reads.batch_rows(wanted, now) == single
    assert sorted(single) == sorted(codes)
    assert single[codes[0]][6] == ["black"] and all(single[c][6] == [] for c in codes[2:])
    if backend.name != "citus":
        assert type(reads) is PgReads
        return
    # As the product answers: through the API, one item per code asked.
    answer = await registry.post(
        "/v1/credit-status:batch", json={"usccs": wanted}, headers=tokens(Role.partner)
    )
    items = {i["uscc"]: i for i in answer.json()["items"]}
    assert [items[c]["result"] for c in wanted].count("found") == len(codes)
    assert items[codes[0]]["lists"] == ["black"]
    groups = await reads_citus.shard_groups(reads.pool, wanted)
    assert len(groups) > 1 and sorted(c for g in groups for c in g) == wanted
    for group in groups:
        for plan in await _plans(backend.registry_url, group):
            assert "Task Count: 1\n" in plan, plan
