"""Recording credit-affecting writes: one audit entry each, and a change for the partner feed.

Both are numbered in commit order. Appends take a transaction-scoped advisory lock on PostgreSQL
(SQLite has one writer anyway), so numbers are handed out in the order transactions commit: a
reader never sees seq n+1 before n, and the hash chain never forks. The lock is taken at the end of
a write's work and held only until its commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.ledger.models import AuditEntry, Change

GENESIS = "0" * 64
_LEDGER_LOCK = 7_301_001  # pg_advisory_xact_lock key for ledger appends
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

# Called after every entry, in the same transaction: what has to follow a credit-affecting write
# (today the risk class). It becomes one subscriber of the core's domain-event unit of work.
Subscriber = Callable[..., Awaitable[None]]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    """Register `subscriber(session, *, action, uscc, data, now)`; idempotent."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    uscc: str | None,
    subject: str | None,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    content = canonical(
        {
            "seq": seq,
            "at": at.isoformat(),
            "actor": actor,
            "action": action,
            "uscc": uscc,
            "subject": subject,
            "data": data,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(content.encode()).hexdigest()


async def _lock(session: AsyncSession) -> None:
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LEDGER_LOCK})


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    uscc: str | None,
    subject: str | None,
    data: dict[str, Any],
    now: datetime,
    change: str | None = None,
) -> AuditEntry:
    """Append an audit entry (and, if `change` names a feed kind, a change) to this transaction."""
    await _lock(session)
    data = json.loads(canonical(data))  # exactly what the database will give back
    last = (
        await session.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        )
    ).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    entry = AuditEntry(
        seq=seq,
        at=now,
        actor=actor,
        action=action,
        uscc=uscc,
        subject=subject,
        data=data,
        prev_hash=prev,
        hash=entry_hash(
            seq=seq, at=now, actor=actor, action=action, uscc=uscc, subject=subject, data=data, prev_hash=prev
        ),
    )
    session.add(entry)
    if change is not None:
        assert change in FEED_KINDS, change
        session.add(Change(kind=change, uscc=uscc, data=data, at=now))
    await session.flush()
    for subscriber in _subscribers:
        await subscriber(session, action=action, uscc=uscc, data=data, now=now)
    return entry


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


async def head(session: AsyncSession) -> Head:
    last = (
        await session.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        )
    ).first()
    return Head(last.seq, last.hash) if last else Head(0, GENESIS)


async def feed_cursor(session: AsyncSession) -> int:
    """The newest change number: load a snapshot, then follow the feed from here."""
    return int((await session.execute(select(func.coalesce(func.max(Change.seq), 0)))).scalar_one())


async def changes_after(
    session: AsyncSession, *, after: int, limit: int, kinds: Sequence[str] | None = None
) -> Sequence[Change]:
    statement = select(Change).where(Change.seq > after).order_by(Change.seq).limit(limit)
    if kinds:
        statement = statement.where(Change.kind.in_(list(kinds)))
    return (await session.execute(statement)).scalars().all()


async def audit_entries(
    session: AsyncSession, *, uscc: str | None, after: int, limit: int
) -> Sequence[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(limit)
    if uscc:
        statement = statement.where(AuditEntry.uscc == uscc)
    return (await session.execute(statement)).scalars().all()


@dataclass(frozen=True)
class Broken:
    seq: int
    reason: str


async def verify(session: AsyncSession, *, batch: int = 5000) -> tuple[int, Broken | None]:
    """Recompute the chain from the start; (entries checked, first broken link or None)."""
    prev, expected_seq, checked = GENESIS, 1, 0
    while True:
        rows = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.seq >= expected_seq)
                    .order_by(AuditEntry.seq)
                    .limit(batch)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            return checked, None
        for e in rows:
            if e.seq != expected_seq:
                return checked, Broken(expected_seq, f"entry {expected_seq} is missing")
            if e.prev_hash != prev:
                return checked, Broken(e.seq, "prev_hash does not match the previous entry's hash")
            recomputed = entry_hash(
                seq=e.seq,
                at=e.at,
                actor=e.actor,
                action=e.action,
                uscc=e.uscc,
                subject=e.subject,
                data=e.data,
                prev_hash=e.prev_hash,
            )
            if recomputed != e.hash:
                return checked, Broken(e.seq, "content does not match its hash (edited after the fact)")
            prev, expected_seq, checked = e.hash, e.seq + 1, checked + 1
        session.expunge_all()
