"""The ledger's reads and its one write path, for the subscribers and the audit endpoints.

Writes come only from the audit and feed subscribers (see `services/registry/subscribers.py`):
`chain.append` links an entry into its enterprise's chain, `feed.add` queues a feed change. Both are
numbered after commit by `feed.sequence`; `checkpoints.make` signs the chains' heads.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.ledger.chain import GENESIS, Broken, canonical, verify_chains
from services.registry.ledger.feed import FEED_KINDS, changes_after, feed_cursor
from services.registry.ledger.models import AuditCheckpoint, AuditEntry

__all__ = [
    "FEED_KINDS",
    "GENESIS",
    "Broken",
    "audit_entries",
    "canonical",
    "changes_after",
    "feed_cursor",
    "latest_checkpoint",
    "verify_chains",
]


async def audit_entries(
    session: AsyncSession, *, uscc: str | None, after: int, limit: int
) -> Sequence[AuditEntry]:
    """Entries in insertion order; for one enterprise, its chain in order."""
    statement = select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(limit)
    if uscc:
        statement = statement.where(AuditEntry.uscc == uscc)
    return (await session.execute(statement)).scalars().all()


async def latest_checkpoint(session: AsyncSession) -> AuditCheckpoint | None:
    statement = select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    return (await session.execute(statement)).scalar_one_or_none()
