"""The partner feed, and the sequencer that numbers it (and the audit log) after commit.

Writers insert changes with no position; nothing global is locked or counted while they work.
`sequence` then gives every change that has become visible the next positions, gap-free, in one
short transaction, and after that has committed publishes the new end as the log's *horizon*
(`feed_horizon`) in a second one. Readers never read past the horizon. So a reader sees a prefix
1…n of the feed: nothing is skipped (an uncommitted change has no number yet; it gets a later one
when it commits), nothing repeats (a change has one number), and n+1 is never visible before n.
Within a batch changes keep their insertion order, which for one enterprise is commit order (its
writes are serialised by its row lock).

Why the horizon: on a sharded database (Citus) the numbering transaction commits on each shard in
turn, so for a moment a reader of all shards can see position 12 on one shard and not yet 11 on a
slower one; a cursor moved to 12 would skip 11 for ever. The horizon is written only after the
numbering commit has returned, i.e. after every shard has committed, so every position up to it is
visible everywhere. Sequencers are serialised from numbering to publication by one session-level
advisory lock (PostgreSQL; SQLite has one writer): the next one cannot read the largest position
while the previous one's positions are still reaching the shards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from services.common.db import insert_ignoring_conflicts
from services.registry.ledger.models import AuditEntry, Change, FeedHorizon

FEED_KINDS = (
    "grade_changed",
    "listed",
    "delisted",
    "enterprise_created",
    "enterprise_updated",
    "enterprise_deregistered",
    "declaration_flagged",
    "risk_class_changed",
    "risk_notice_published",
)
_SEQUENCER_LOCK = 7_301_002  # pg_advisory_xact_lock key: sequencers only, never a writer
BATCH = 10_000


def add(session: AsyncSession, *, kind: str, uscc: str, data: dict[str, Any], at: Any) -> None:
    assert kind in FEED_KINDS, kind
    session.add(Change(kind=kind, uscc=uscc, data=data, at=at))


async def _number(conn: AsyncSession | AsyncConnection, model: Any) -> int:
    table: Table = model.__table__
    shard = table.c.chain if model is AuditEntry else table.c.uscc  # the distribution column
    dialect = conn.bind.dialect if isinstance(conn, AsyncSession) else conn.dialect
    if dialect.name == "postgresql":
        # One statement per batch: the same numbering (the next positions, in seq order) without
        # a round trip per row; an import's million changes are numbered in seconds. The join names
        # the distribution column too, so on Citus each row is updated on its own shard.
        name, key = table.name, shard.name
        result = await conn.execute(
            text(
                f"UPDATE {name} SET position = n.base + n.rn FROM ("
                f"SELECT {key}, seq, row_number() OVER (ORDER BY seq) AS rn, "
                f"(SELECT coalesce(max(position), 0) FROM {name}) AS base FROM ("
                f"SELECT {key}, seq FROM {name} WHERE position IS NULL ORDER BY seq LIMIT :batch) AS due"
                f") AS n WHERE {name}.{key} = n.{key} AND {name}.seq = n.seq"
            ),
            {"batch": BATCH},
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
    base = (await conn.execute(select(func.coalesce(func.max(table.c.position), 0)))).scalar_one()
    unnumbered = (
        select(shard, table.c.seq).where(table.c.position.is_(None)).order_by(table.c.seq).limit(BATCH)
    )
    rows = (await conn.execute(unnumbered)).all()
    if rows:  # each row updated by its full key (one shard each on Citus)
        await conn.execute(
            update(table)
            .where(shard == bindparam("k_"), table.c.seq == bindparam("s_"))
            .values(position=bindparam("p_")),
            [{"k_": k, "s_": s, "p_": base + i} for i, (k, s) in enumerate(rows, start=1)],
        )
    return len(rows)


async def _number_all(conn: AsyncSession | AsyncConnection) -> int:
    total = 0
    for model in (Change, AuditEntry):
        while (done := await _number(conn, model)) == BATCH:
            total += done
        total += done
    return total


async def _publish(conn: AsyncConnection) -> None:
    """Move each log's horizon to its highest position (the row is made if missing)."""
    table = FeedHorizon.__table__
    for log, model in (("change", Change), ("audit", AuditEntry)):
        highest = select(func.coalesce(func.max(model.__table__.c.position), 0))
        end = (await conn.execute(highest)).scalar_one()
        await conn.execute(insert_ignoring_conflicts(conn, table, ["log"]).values(log=log, position=0))
        await conn.execute(
            update(table).where(table.c.log == log, table.c.position < end).values(position=end)
        )


async def sequence(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Number every committed, unnumbered change and audit entry, then publish the horizon."""
    engine: AsyncEngine = sessions.kw["bind"]
    async with engine.connect() as conn:  # one connection: it holds the session-level lock
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _SEQUENCER_LOCK})
            await conn.commit()
        try:
            done = await _number_all(conn)
            await conn.commit()  # returns once every shard has committed
            await _publish(conn)
            await conn.commit()
        finally:
            if postgres:
                await conn.rollback()
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _SEQUENCER_LOCK})
                await conn.commit()
    return done


def horizon(log: str = "change") -> Any:
    """The published end of a log, as a scalar subquery (0 before anything is published)."""
    return (
        select(func.coalesce(func.max(FeedHorizon.position), 0))
        .where(FeedHorizon.log == log)
        .scalar_subquery()
    )


async def feed_cursor(session: AsyncSession) -> int:
    """The newest readable feed position: load a snapshot, then follow the feed from here."""
    return int((await session.execute(select(horizon()))).scalar_one())


async def changes_after(
    session: AsyncSession, *, after: int, limit: int, kinds: Sequence[str] | None = None
) -> Sequence[Change]:
    statement = (
        select(Change)
        .where(Change.position > after, Change.position <= horizon())
        .order_by(Change.position)
        .limit(limit)
    )
    if kinds:
        statement = statement.where(Change.kind.in_(list(kinds)))
    return (await session.execute(statement)).scalars().all()
