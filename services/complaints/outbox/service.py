"""Outbox rules: enqueue in the case's transaction; claim with a lease; record each outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import Conflict, NotFound
from services.complaints.cases.models import Complaint
from services.complaints.outbox import lease as leases
from services.complaints.outbox.models import OutboxMessage

CREDIT_EVENT_KIND = "complaint_substantiated"


def credit_event(complaint: Complaint, *, authority: str) -> dict[str, Any]:
    """What the registry receives: the finding, never who reported it."""
    assert complaint.concluded_at is not None
    return {
        "kind": CREDIT_EVENT_KIND,
        "severity": complaint.finding_severity,
        "authority": authority,
        "source_ref": str(complaint.id),
        "occurred_at": complaint.concluded_at.isoformat(),
        "summary": f"{complaint.kind}: {complaint.finding_category or complaint.category}",
        # The product the case is about, when it named one: the event names it too.
        **{
            field: value
            for field, value in (
                ("gtin", complaint.gtin),
                ("batch", complaint.batch),
                ("product_name", complaint.product),
            )
            if value
        },
    }


async def enqueue(session: AsyncSession, *, complaint: Complaint, now: datetime) -> OutboxMessage:
    # The authority is filled at delivery from settings; the row holds the complaint's facts.
    message = OutboxMessage(
        complaint_id=complaint.id,
        uscc=complaint.target_uscc,
        payload=credit_event(complaint, authority=""),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    await session.flush()
    return message


@dataclass(frozen=True)
class Claimed:
    id: int
    uscc: str
    payload: dict[str, Any]
    attempts: int


async def claim(
    session: AsyncSession, *, worker: str, now: datetime, batch: int, lease: timedelta
) -> list[Claimed]:
    """Lease up to `batch` due rows to `worker`; rows another worker holds are skipped, not waited for."""
    m = OutboxMessage
    columns = [m.id, m.uscc, m.payload, m.attempts]
    rows = await leases.claim(session, m, worker=worker, now=now, batch=batch, lease=lease, columns=columns)
    return [Claimed(r.id, r.uscc, r.payload, r.attempts) for r in rows]


async def renew(
    session: AsyncSession, *, ids: Sequence[int], worker: str, now: datetime, lease: timedelta
) -> set[int]:
    return await leases.renew(session, OutboxMessage, ids=list(ids), worker=worker, now=now, lease=lease)


async def _owned(session: AsyncSession, message_id: int, worker: str) -> OutboxMessage | None:
    return await leases.owned(session, OutboxMessage, message_id, worker)


async def mark_sent(
    session: AsyncSession, *, message_id: int, worker: str, event_id: str | None, now: datetime
) -> None:
    message = await _owned(session, message_id, worker)
    if message is None:
        return
    message.status = "sent"
    message.sent_at = now
    message.attempts += 1
    message.registry_event_id = event_id
    message.leased_until = None
    message.last_error = None


async def mark_retry(
    session: AsyncSession, *, message_id: int, worker: str, error: str, now: datetime, base: float, cap: float
) -> None:
    message = await _owned(session, message_id, worker)
    if message is None:
        return
    message.attempts += 1
    message.next_attempt_at = now + leases.backoff(message.attempts, base=base, cap=cap)
    message.leased_until = None
    message.last_error = error[:2000]


async def mark_failed(
    session: AsyncSession, *, message_id: int, worker: str, error: str, now: datetime
) -> None:
    message = await _owned(session, message_id, worker)
    if message is None:
        return
    message.attempts += 1
    message.status = "failed"
    message.leased_until = None
    message.last_error = error[:2000]


async def listing(session: AsyncSession, *, status: str | None, limit: int = 100) -> Sequence[OutboxMessage]:
    statement = select(OutboxMessage).order_by(OutboxMessage.id).limit(limit)
    if status:
        statement = statement.where(OutboxMessage.status == status)
    return (await session.execute(statement)).scalars().all()


async def retry(session: AsyncSession, *, message_id: int, now: datetime) -> OutboxMessage:
    message = await session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound(f"no outbox message {message_id}")
    if message.status != "failed":
        raise Conflict(f"outbox message {message_id} is {message.status}, not failed")
    message.status = "pending"
    message.next_attempt_at = now
    message.leased_until = None
    return message


async def retry_all_failed(session: AsyncSession, *, now: datetime) -> int:
    """Queue every parked message again (after the cause is fixed); returns how many."""
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.status == "failed")
        .values(status="pending", next_attempt_at=now, leased_until=None, leased_by=None)
        .returning(OutboxMessage.id)
    )
    return len((await session.execute(statement)).all())


async def message_for(session: AsyncSession, complaint_id: Any) -> OutboxMessage | None:
    statement = select(OutboxMessage).where(OutboxMessage.complaint_id == complaint_id).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def redirect(session: AsyncSession, *, message: OutboxMessage, uscc: str, now: datetime) -> None:
    """An undelivered credit event goes to the case's new enterprise, now."""
    if message.status == "sent":
        return
    message.uscc = uscc
    message.status = "pending"
    message.next_attempt_at = now
    message.leased_until = None
    message.leased_by = None


async def status_for(session: AsyncSession, complaint_id: Any) -> str | None:
    statement = select(OutboxMessage.status).where(OutboxMessage.complaint_id == complaint_id)
    return (await session.execute(statement)).scalar_one_or_none()
