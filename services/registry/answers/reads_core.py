"""The read path through SQLAlchemy Core: what SQLite serves (development, tests), and what a caller
already inside a session uses on either database (the product lookup embeds a credit answer).

Correct rather than fast: two statements where `reads_pg` needs one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry.access.models import AccessLog
from services.registry.answers.reads import BatchRow, CreditRow, ListItem
from services.registry.enterprises.models import Enterprise
from services.registry.ledger.models import Change
from services.registry.lists.lifecycle import is_active
from services.registry.lists.models import ListEntry

_ROW = (
    Enterprise.uscc,
    Enterprise.name,
    Enterprise.status,
    Enterprise.score,
    Enterprise.grade,
    Enterprise.rule_version,
)
_ENTRY = (
    ListEntry.uscc,
    ListEntry.kind,
    ListEntry.id,
    ListEntry.status,
    ListEntry.listed_at,
    ListEntry.expires_at,
    ListEntry.reason,
)


async def _entries(conn: Any, codes: Sequence[str], now: datetime) -> dict[str, list[ListItem]]:
    statement = (
        select(*_ENTRY)
        .where(ListEntry.uscc.in_(sorted(set(codes))), is_active(now))
        .order_by(ListEntry.uscc, ListEntry.kind, ListEntry.listed_at)
    )
    found: dict[str, list[ListItem]] = defaultdict(list)
    for uscc, kind, entry_id, status, since, until, reason in await conn.execute(statement):
        found[uscc].append((kind, str(entry_id), status, since, until, reason))
    return found


async def credit_row(conn: Any, uscc: str, now: datetime) -> CreditRow | None:
    """On an AsyncConnection or an AsyncSession."""
    statement = select(*_ROW, Enterprise.explanation, Enterprise.version).where(Enterprise.uscc == uscc)
    row = (await conn.execute(statement)).first()
    if row is None:
        return None
    lists = (await _entries(conn, [uscc], now)).get(uscc, [])
    explanation = orjson.dumps(row[6]).decode()
    return (row[0], row[1], row[2], row[3], row[4], row[5], explanation, row[7], lists)


async def batch_rows(conn: Any, codes: Sequence[str], now: datetime) -> dict[str, BatchRow]:
    if not codes:
        return {}
    rows = (await conn.execute(select(*_ROW).where(Enterprise.uscc.in_(list(codes))))).all()
    entries = await _entries(conn, [r[0] for r in rows], now) if rows else {}
    return {
        r[0]: (*r, sorted({e[0] for e in entries.get(r[0], [])}))  # type: ignore[misc]
        for r in rows
    }


class SqliteReads:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def credit_row(self, uscc: str, now: datetime) -> CreditRow | None:
        async with self.engine.connect() as conn:
            return await credit_row(conn, uscc, now)

    async def batch_rows(self, codes: Sequence[str], now: datetime) -> dict[str, BatchRow]:
        async with self.engine.connect() as conn:
            return await batch_rows(conn, codes, now)

    async def search_rows(self, pattern: str, limit: int) -> list[tuple[str, str, str, str]]:
        statement = (
            select(Enterprise.uscc, Enterprise.name, Enterprise.status, Enterprise.grade)
            .where(Enterprise.name.like(pattern, escape="\\"))
            .order_by(Enterprise.uscc)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(statement)]  # type: ignore[misc]

    async def feed_position(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.coalesce(func.max(Change.position), 0)))).scalar_one())

    async def log_lookup(
        self, *, at: datetime, partner: str, lookup: str, purpose: str, codes: Sequence[str]
    ) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(
                insert(AccessLog),
                {
                    "at": at,
                    "partner": partner,
                    "lookup": lookup,
                    "purpose": purpose,
                    "usccs": list(codes),
                    "code_count": len(codes),
                },
            )

    async def close(self) -> None:
        return None


async def open_reads(engine: AsyncEngine) -> SqliteReads:
    return SqliteReads(engine)
