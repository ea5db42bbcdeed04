"""The partner feed, and the sequencer that numbers it (and the audit log) after commit.

Writers insert changes with no position; nothing global is locked or counted while they work.
`sequence` then gives every change that has become visible the next positions, gap-free, in one
short transaction that only sequencers serialise on (an advisory lock on PostgreSQL; SQLite has one
writer). A position is given only to a committed change, and positions are committed as a block,
so a reader sees a prefix 1…n of the feed: nothing is skipped (an uncommitted change has no number
yet; it gets a later one when it commits), nothing repeats (a change has one number), and n+1 is
never visible before n. Within a batch changes keep their insertion order, which for one enterprise
is commit order (its writes are serialised by its row lock).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.ledger.models import AuditEntry, Change

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


async def _number(session: AsyncSession, model: Any) -> int:
    table: Table = model.__table__
    if session.bind.dialect.name == "postgresql":
        # One statement per batch: the same numbering (the next positions, in seq order) without
        # a round trip per row; an import's million changes are numbered in seconds.
        name = table.name
        result = await session.execute(
            text(
                f"UPDATE {name} SET position = n.base + n.rn FROM ("
                f"SELECT seq, row_number() OVER (ORDER BY seq) AS rn, "
                f"(SELECT coalesce(max(position), 0) FROM {name}) AS base FROM ("
                f"SELECT seq FROM {name} WHERE position IS NULL ORDER BY seq LIMIT :batch) AS due"
                f") AS n WHERE {name}.seq = n.seq"
            ),
            {"batch": BATCH},
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
    base = (await session.execute(select(func.coalesce(func.max(table.c.position), 0)))).scalar_one()
    seqs = (
        (
            await session.execute(
                select(table.c.seq).where(table.c.position.is_(None)).order_by(table.c.seq).limit(BATCH)
            )
        )
        .scalars()
        .all()
    )
    if seqs:
        await session.execute(
            update(table).where(table.c.seq == bindparam("s_")).values(position=bindparam("p_")),
            [{"s_": s, "p_": base + i} for i, s in enumerate(seqs, start=1)],
        )
    return len(seqs)


async def sequence_in(session: AsyncSession) -> int:
    """Number what is visible now, in the caller's transaction (which must commit soon)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEQUENCER_LOCK})
    total = 0
    for model in (Change, AuditEntry):
        while (done := await _number(session, model)) == BATCH:
            total += done
        total += done
    return total


async def sequence(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Number every committed, unnumbered change and audit entry; returns how many."""
    async with sessions() as session:
        done = await sequence_in(session)
        await session.commit()
    return done


async def feed_cursor(session: AsyncSession) -> int:
    """The newest feed position: load a snapshot, then follow the feed from here."""
    return int((await session.execute(select(func.coalesce(func.max(Change.position), 0)))).scalar_one())


async def changes_after(
    session: AsyncSession, *, after: int, limit: int, kinds: Sequence[str] | None = None
) -> Sequence[Change]:
    statement = select(Change).where(Change.position > after).order_by(Change.position).limit(limit)
    if kinds:
        statement = statement.where(Change.kind.in_(list(kinds)))
    return (await session.execute(statement)).scalars().all()
