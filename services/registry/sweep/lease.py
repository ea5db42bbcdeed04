"""Taking and renewing a lease: a row per job, won by the first replica, kept by renewing it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.db import insert_ignoring_conflicts
from services.registry.sweep.models import Lease


async def acquire(
    sessions: async_sessionmaker[AsyncSession], *, name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Whether `holder` has the lease until now + ttl (taken if free or expired, renewed if its own)."""
    async with sessions() as session:
        inserted = await session.execute(
            insert_ignoring_conflicts(session, Lease, ["name"])
            .values(name=name, holder=holder, expires_at=now + ttl)
            .returning(Lease.name)
        )
        won = inserted.scalar_one_or_none() is not None
        if not won:
            taken = await session.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
                .values(holder=holder, expires_at=now + ttl)
            )
            won = taken.rowcount == 1  # type: ignore[attr-defined]
        await session.commit()
    return won


async def release(sessions: async_sessionmaker[AsyncSession], *, name: str, holder: str) -> None:
    async with sessions() as session:
        await session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
        )
        await session.commit()
