"""The hot read path on a Citus cluster: `reads_pg` with the partner batch sent shard by shard.

One statement for 1,000 codes reaches every shard (1,000 codes hash to all 32) and every shard's
task carries the whole array; Citus also plans the list-status subquery over every shard unless the
codes are stated for `list_entry` too. Here the codes are first grouped by the shard that holds them
(one statement on the coordinator, `get_shard_id_for_distribution_column`, so the grouping follows
the cluster's current shards, after a split or a rebalance too), then each group is one router
statement (one task on one shard, its own codes only), the groups run concurrently over the pool.
The grouping decides only where a statement goes, never what it answers: every statement is still
`uscc = ANY(codes)` over the distributed tables, so a stale or odd grouping would cost time, not
change an answer. bench/NOTES.md has the measurements behind the choice.

The reads pool's sessions on Citus also run multi-shard statements (the public search) with one
connection per worker instead of up to 16 opened and closed around each statement.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.registry.answers.reads import BatchRow
from services.registry.answers.reads_pg import ACTIVE, PgReads

# Session settings of the reads pool on Citus (asyncpg server_settings): the adaptive executor uses
# one connection per worker for a multi-shard statement (the cached one), where by default it opens
# up to 16 per worker for each statement and closes all but one afterwards. A router statement (a
# lookup, a batch group) uses one connection either way.
SESSION = {"citus.max_adaptive_executor_pool_size": "1"}

DISTRIBUTED = """
SELECT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'enterprise'::regclass AND partmethod = 'h')
"""

SHARD_GROUPS = """
SELECT array_agg(c ORDER BY c) FROM unnest($1::text[]) c
GROUP BY get_shard_id_for_distribution_column('enterprise', c)
"""

# reads_pg.BATCH with the codes stated for list_entry as well: with the correlation alone Citus
# plans the subquery in the select list over every shard, with it the statement for one shard's
# codes is routed to that shard (tests/registry/test_routed_batch.py checks the plan).
BATCH = f"""
SELECT e.uscc, e.name, e.status, e.score, e.grade, e.rule_version,
       ARRAY(SELECT DISTINCT l.kind FROM list_entry l
             WHERE l.uscc = ANY($1::text[]) AND {ACTIVE} ORDER BY l.kind)
FROM enterprise e WHERE e.uscc = ANY($1::text[])
"""


async def is_distributed(conn: asyncpg.Connection) -> bool:
    """Whether this database has the `citus` extension and its `enterprise` table is distributed."""
    if not await conn.fetchval("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')"):
        return False
    return bool(await conn.fetchval(DISTRIBUTED))


async def shard_groups(pool: asyncpg.Pool, codes: Sequence[str]) -> list[list[str]]:
    """The codes grouped by the shard of `enterprise` that holds them (one statement)."""
    async with pool.acquire() as conn:
        return [list(r[0]) for r in await conn.fetch(SHARD_GROUPS, list(codes))]


async def routed_batch(pool: asyncpg.Pool, codes: Sequence[str], now: datetime) -> list[asyncpg.Record]:
    """The batch's rows, one router statement per shard group, the groups concurrently over `pool`."""
    groups = await shard_groups(pool, codes)

    async def one(group: list[str]) -> list[asyncpg.Record]:
        async with pool.acquire() as conn:
            return await conn.fetch(BATCH, group, now)

    rows: list[asyncpg.Record] = []
    for part in await asyncio.gather(*(one(g) for g in groups)):
        rows += part
    return rows


class CitusReads(PgReads):
    async def batch_rows(self, codes: Sequence[str], now: datetime) -> dict[str, BatchRow]:
        return {r[0]: tuple(r) for r in await routed_batch(self.pool, codes, now)}  # type: ignore[misc]
