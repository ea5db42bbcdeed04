"""Per-enterprise hash chains: appending an entry, and checking every chain from its start.

An entry's chain is its enterprise (the head — version and hash — is kept on the enterprise row,
which the writer has locked: enterprise row first, always), or the registry-wide chain '' (head in
`audit_chain`). Two writes for different enterprises touch different rows and never wait for each
other; no global lock, no global counter read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work
from services.registry.ledger.models import AuditChain, AuditEntry

GENESIS = "0" * 64
REGISTRY_CHAIN = ""


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(
    *,
    chain: str,
    version: int,
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
            "chain": chain,
            "version": version,
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


def hash_of(entry: AuditEntry) -> str:
    return entry_hash(
        chain=entry.chain,
        version=entry.version,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        uscc=entry.uscc,
        subject=entry.subject,
        data=entry.data,
        prev_hash=entry.prev_hash,
    )


async def _registry_head(session: AsyncSession) -> AuditChain:
    statement = (
        select(AuditChain)
        .where(AuditChain.name == REGISTRY_CHAIN)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = (await session.execute(statement)).scalar_one_or_none()
    if head is None:
        head = AuditChain(name=REGISTRY_CHAIN, version=0, head=GENESIS)
        session.add(head)
        await session.flush()
    return head


async def _owner(session: AsyncSession, uscc: str) -> Enterprise:
    held = unit_of_work.row_locks(session)
    if uscc in held:  # the service locked (and loaded) it first, as every write path should
        found = await session.get(Enterprise, uscc)
    else:  # a path that did not: lock it now, so two appends never race for a version
        await session.flush()  # the re-read below must not discard this transaction's own changes
        found = await session.get(Enterprise, uscc, with_for_update=True, populate_existing=True)
        held.add(uscc)
        if found is not None:
            unit_of_work.hold(session, found, uscc)
    assert found is not None, uscc
    return found


async def append(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    uscc: str | None,
    subject: str | None,
    data: dict[str, Any],
    now: datetime,
) -> AuditEntry:
    """Add the next link of the enterprise's chain (the caller holds the enterprise row lock)."""
    data = json.loads(canonical(data))  # exactly what the database will give back
    owner: Enterprise | AuditChain
    if uscc is None:
        owner = await _registry_head(session)
        chain, prev, version = REGISTRY_CHAIN, owner.head, owner.version + 1
    else:
        owner = await _owner(session, uscc)
        chain, prev, version = uscc, owner.chain_head, owner.version + 1
    entry = AuditEntry(
        chain=chain,
        version=version,
        at=now,
        actor=actor,
        action=action,
        uscc=uscc,
        subject=subject,
        data=data,
        prev_hash=prev,
    )
    entry.hash = hash_of(entry)
    session.add(entry)
    if isinstance(owner, Enterprise):
        owner.version, owner.chain_head = version, entry.hash
    else:
        owner.version, owner.head = version, entry.hash
    return entry  # flushed with the unit of work's other rows (inserts keep the order they were added)


@dataclass(frozen=True)
class Broken:
    chain: str
    version: int
    seq: int | None
    reason: str

    def describe(self) -> str:
        name = repr(self.chain) if self.chain else "the registry chain"
        at = f"entry {self.version}" + (f" (seq {self.seq})" if self.seq is not None else "")
        return f"chain {name}, {at}: {self.reason}"


async def _entries_in_chain_order(session: AsyncSession, batch: int) -> AsyncIterator[AuditEntry]:
    after: tuple[str, int] | None = None
    while True:
        statement = select(AuditEntry).order_by(AuditEntry.chain, AuditEntry.version).limit(batch)
        if after is not None:
            statement = statement.where(tuple_(AuditEntry.chain, AuditEntry.version) > after)
        rows = (await session.execute(statement)).scalars().all()
        if not rows:
            return
        for row in rows:
            yield row
        after = (rows[-1].chain, rows[-1].version)
        session.expunge_all()


async def _heads(session: AsyncSession) -> dict[str, tuple[int, str]]:
    found = {
        code: (version, head)
        for code, version, head in (
            await session.execute(
                select(Enterprise.uscc, Enterprise.version, Enterprise.chain_head).where(
                    Enterprise.version > 0
                )
            )
        ).all()
    }
    for name, version, head in (
        await session.execute(select(AuditChain.name, AuditChain.version, AuditChain.head))
    ).all():
        found[name] = (version, head)
    return found


async def verify_chains(session: AsyncSession, *, batch: int = 5000) -> tuple[int, Broken | None]:
    """Recompute every chain from its start; (entries checked, first broken link or None).

    Each chain must run 1, 2, … with every `prev_hash` the previous entry's hash and every hash
    matching its content, and end where its head (on the enterprise row) says: a truncated chain
    shows there.
    """
    heads = await _heads(session)
    checked = 0
    chain, prev, expected = None, GENESIS, 1

    def ended(name: str, version: int) -> Broken | None:
        head = heads.pop(name, (0, GENESIS))
        if head[0] != version or (version and head[1] != prev):
            return Broken(name, version + 1, None, f"the chain ends at {version} but its head says {head[0]}")
        return None

    async for e in _entries_in_chain_order(session, batch):
        if e.chain != chain:
            if chain is not None and (broken := ended(chain, expected - 1)):
                return checked, broken
            chain, prev, expected = e.chain, GENESIS, 1
        if e.version != expected:
            return checked, Broken(e.chain, expected, None, f"entry {expected} is missing")
        if e.prev_hash != prev:
            return checked, Broken(e.chain, e.version, e.seq, "prev_hash does not match the previous entry")
        if hash_of(e) != e.hash:
            return checked, Broken(e.chain, e.version, e.seq, "content does not match its hash (edited)")
        prev, expected, checked = e.hash, expected + 1, checked + 1
    if chain is not None and (broken := ended(chain, expected - 1)):
        return checked, broken
    for name, (version, _) in sorted(heads.items()):
        return checked, Broken(name, 1, None, f"its head says {version} entries but none is stored")
    return checked, None
