"""The hot read path on PostgreSQL: the asyncpg driver directly, one prepared statement per read.

A lookup is one round trip: the row and its active list entries come back together (the list
entries aggregated by the database, usually none). The pool has a fixed size (min = max): no
connection is opened or closed under load, and waiters are served first come, first served.
Statements are prepared once per connection (asyncpg's statement cache) and named by their text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import orjson

from services.registry.answers.reads import BatchRow, CreditRow, ListItem

ACTIVE = "l.uscc = e.uscc AND l.status = 'listed' AND (l.expires_at IS NULL OR l.expires_at > $2)"

CREDIT = f"""
SELECT e.uscc, e.name, e.status, e.score, e.grade, e.rule_version, e.explanation::text, e.version,
       (SELECT json_agg(json_build_array(l.kind, l.id::text, l.status, l.listed_at, l.expires_at, l.reason)
                        ORDER BY l.kind, l.listed_at, l.id)
        FROM list_entry l WHERE l.uscc = $1 AND {ACTIVE})::text
FROM enterprise e WHERE e.uscc = $1
"""
# The active entries come back as JSON text (NULL when none, the usual case), not as an array of
# anonymous records: Citus cannot pass a record type from a worker to the coordinator.
# `l.uscc = $1` besides `l.uscc = e.uscc`: with the correlation alone Citus 13.2 plans the
# subquery in the select list as a query over every shard (32 tasks for one lookup); with the code
# stated for both tables the router planner sends it to the one shard that holds the enterprise
# (tests/registry/test_distribution.py checks the plan).

BATCH = f"""
SELECT e.uscc, e.name, e.status, e.score, e.grade, e.rule_version,
       ARRAY(SELECT DISTINCT l.kind FROM list_entry l WHERE {ACTIVE} ORDER BY l.kind)
FROM enterprise e WHERE e.uscc = ANY($1::text[])
"""

SEARCH = (
    "SELECT uscc, name, status, grade FROM enterprise WHERE name LIKE $1 ESCAPE '\\' ORDER BY uscc LIMIT $2"
)

# The feed's published horizon (ledger/feed.py), never max(position) over `change`: on Citus a later
# position can be visible on one shard before an earlier one on a slower shard.
FEED_POSITION = "SELECT coalesce(max(position), 0) FROM feed_horizon WHERE log = 'change'"

LOG = (
    "INSERT INTO access_log (at, partner, lookup, purpose, usccs, code_count) "
    "VALUES ($1, $2, $3, $4, $5::text[], $6)"
)


def _utc(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp).astimezone(UTC) if stamp else None


def active_lists(raw: str | None) -> list[ListItem]:
    """The CREDIT statement's list entries (JSON text, NULL for none) as ListItem tuples."""
    return [
        (kind, entry_id, status, _utc(since), _utc(until), reason)
        for kind, entry_id, status, since, until, reason in orjson.loads(raw or "[]")
    ]


def dsn(database_url: str) -> str:
    """The SQLAlchemy URL (`postgresql+asyncpg://…`) as a libpq DSN."""
    scheme, rest = database_url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgresql") else database_url


class PgReads:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    async def credit_row(self, uscc: str, now: datetime) -> CreditRow | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(CREDIT, uscc, now)
        if row is None:
            return None
        lists = active_lists(row[8])
        return (row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], lists)

    async def batch_rows(self, codes: Sequence[str], now: datetime) -> dict[str, BatchRow]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(BATCH, list(codes), now)
        return {r[0]: tuple(r) for r in rows}  # type: ignore[misc]

    async def search_rows(self, pattern: str, limit: int) -> list[tuple[str, str, str, str]]:
        async with self.pool.acquire() as conn:
            return [tuple(r) for r in await conn.fetch(SEARCH, pattern, limit)]  # type: ignore[misc]

    async def feed_position(self) -> int:
        async with self.pool.acquire() as conn:
            return int(await conn.fetchval(FEED_POSITION))

    async def log_lookup(
        self, *, at: datetime, partner: str, lookup: str, purpose: str, codes: Sequence[str]
    ) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(LOG, at, partner, lookup, purpose, list(codes), len(codes))

    async def close(self) -> None:
        await self.pool.close()


async def keep_session(_conn: asyncpg.Connection) -> None:
    """Nothing to reset: these connections never LISTEN, lock, SET or leave a cursor open. (The
    default runs a four-command reset query on every release: a second round trip per lookup.)
    asyncpg still rolls back a transaction left open before calling this."""


async def open_reads(database_url: str, *, pool_size: int) -> PgReads:
    """The reads pool; on a Citus cluster (`enterprise` distributed) `reads_citus.CitusReads` with its
    session settings, asked once at start on a connection of its own."""
    from services.registry.answers import reads_citus  # it builds on this module

    target = dsn(database_url)
    probe = await asyncpg.connect(target)
    try:
        citus = await reads_citus.is_distributed(probe)
    finally:
        await probe.close()
    pool = await asyncpg.create_pool(
        target,
        min_size=pool_size,
        max_size=pool_size,
        reset=keep_session,
        # Autocommit reads: no BEGIN/COMMIT round trips; times in UTC whatever the server's zone.
        server_settings={
            "timezone": "UTC",
            "application_name": "qcr-registry-reads",
            **(reads_citus.SESSION if citus else {}),
        },
    )
    assert pool is not None
    return reads_citus.CitusReads(pool) if citus else PgReads(pool)
