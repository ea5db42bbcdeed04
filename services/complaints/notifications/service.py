"""Notification rules: which step requires which message, enqueued in that step's transaction."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import Conflict, NotFound
from services.common.workdays import CHINA, WorkCalendar
from services.complaints.cases.models import Complaint
from services.complaints.confidential import Vault
from services.complaints.notifications.models import Notification, PartyContact
from services.complaints.outbox import lease as leases

MESSAGES_FILE = Path(__file__).with_name("messages.toml")
DECISION_WORDS = {"accept": "立案", "reject": "不予立案"}


@dataclass(frozen=True)
class Message:
    kind: str
    on: frozenset[tuple[str, str]]
    recipients: tuple[str, ...]
    due: str | None
    due_working_days: int | None
    received_before: date | None
    legal_basis: str
    subject: str
    body: str


@cache
def load_messages(path: Path = MESSAGES_FILE) -> dict[str, Message]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        kind: Message(
            kind=kind,
            on=frozenset((k, a) for k, a in m["on"]),
            recipients=tuple(m["recipients"]),
            due=m.get("due"),
            due_working_days=m.get("due_working_days"),
            received_before=date.fromisoformat(m["received_before"]) if "received_before" in m else None,
            legal_basis=m["legal_basis"],
            subject=m["subject"],
            body=m["body"],
        )
        for kind, m in data.items()
    }


def _due(message: Message, complaint: Complaint, now: datetime, calendar: WorkCalendar) -> datetime:
    if message.due == "accept_by":
        return complaint.accept_due_at
    if message.due == "notify_by" and complaint.notify_due_at is not None:
        # The case's own notice deadline (services/complaints/deadlines.py, rules.toml).
        return complaint.notify_due_at
    if not message.due_working_days:
        return now
    return calendar.deadline(now, message.due_working_days)


async def _address(
    session: AsyncSession, complaint: Complaint, recipient: str, vault: Vault
) -> tuple[str | None, str | None]:
    """(channel, sealed address): a phone is reached by SMS, else an e-mail address by e-mail."""
    if recipient == "respondent":
        contact = await session.get(PartyContact, (complaint.id, "respondent"))
        phone, email = (contact.phone_enc, contact.email_enc) if contact else (None, None)
    else:
        phone, email = complaint.reporter_phone_enc, complaint.reporter_email_enc
    if phone:
        return "sms", phone
    if email:
        return "email", email
    return None, None


async def enqueue(
    session: AsyncSession,
    *,
    complaint: Complaint,
    kind: str,
    now: datetime,
    calendar: WorkCalendar,
    vault: Vault,
    fields: dict[str, Any] | None = None,
) -> list[Notification]:
    """One row per recipient; a message already queued for that recipient is not queued again."""
    message = load_messages()[kind]
    values = {"tracking_code": complaint.tracking_code, "outcome": complaint.outcome or "", **(fields or {})}
    queued = []
    for recipient in message.recipients:
        existing = await session.execute(
            select(Notification.id).where(
                Notification.complaint_id == complaint.id,
                Notification.kind == kind,
                Notification.recipient == recipient,
            )
        )
        if existing.first() is not None:
            continue
        channel, address = await _address(session, complaint, recipient, vault)
        row = Notification(
            complaint_id=complaint.id,
            kind=kind,
            recipient=recipient,
            channel=channel,
            address_enc=address,
            subject=message.subject,
            body=message.body.format(**values),
            legal_basis=message.legal_basis,
            due_at=_due(message, complaint, now, calendar),
            status="pending" if address else "no_address",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(row)
        queued.append(row)
    await session.flush()
    return queued


async def on_transition(
    session: AsyncSession, *, complaint: Complaint, action: str, ctx: Any
) -> list[Notification]:
    """Queue what the step `action` on `complaint` requires (ctx: the complaints Context)."""
    queued: list[Notification] = []
    for message in load_messages().values():
        if (complaint.kind, action) not in message.on:
            continue
        if message.received_before and complaint.received_at.astimezone(CHINA).date() >= (
            message.received_before
        ):
            continue
        if complaint.kind == "report" and complaint.anonymous:
            continue  # nobody to tell: an anonymous reporter follows the case by tracking code
        if message.due == "notify_by" and complaint.notify_due_at is None:
            continue  # the case's rule set requires no such notice (e.g. Order 121 reports)
        fields = {"decision": DECISION_WORDS.get(action, action)}
        queued += await enqueue(
            session,
            complaint=complaint,
            kind=message.kind,
            now=ctx.now,
            calendar=ctx.calendar,
            vault=ctx.vault,
            fields=fields,
        )
    return queued


async def set_respondent_contact(
    session: AsyncSession,
    *,
    complaint: Complaint,
    phone: str | None,
    email: str | None,
    vault: Vault,
    now: datetime,
) -> PartyContact:
    contact = await session.get(PartyContact, (complaint.id, "respondent"))
    if contact is None:
        contact = PartyContact(complaint_id=complaint.id, party="respondent")
        session.add(contact)
    contact.phone_enc, contact.email_enc, contact.updated_at = vault.seal(phone), vault.seal(email), now
    # A message that found no address can now be sent.
    waiting = await session.execute(
        select(Notification).where(
            Notification.complaint_id == complaint.id,
            Notification.recipient == "respondent",
            Notification.status == "no_address",
        )
    )
    channel, address = ("sms", contact.phone_enc) if phone else ("email", contact.email_enc)
    for row in waiting.scalars():
        row.channel, row.address_enc, row.status, row.next_attempt_at = channel, address, "pending", now
    await session.flush()
    return contact


# The dispatcher's bookkeeping, on the shared lease pieces.


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    channel: str
    address_enc: str
    subject: str
    body: str
    attempts: int


async def claim(
    session: AsyncSession, *, worker: str, now: datetime, batch: int, lease: timedelta
) -> list[Claimed]:
    n = Notification
    columns = [n.id, n.kind, n.channel, n.address_enc, n.subject, n.body, n.attempts]
    rows = await leases.claim(session, n, worker=worker, now=now, batch=batch, lease=lease, columns=columns)
    return [Claimed(r.id, r.kind, r.channel, r.address_enc, r.subject, r.body, r.attempts) for r in rows]


async def _fulfil_notice(session: AsyncSession, *, complaint_id: Any, kind: str, now: datetime) -> None:
    """Every recipient of a required notice has it: the case's notify_by deadline is met."""
    await session.flush()  # this row's new status counts
    unsent = await session.execute(
        select(func.count()).where(
            Notification.complaint_id == complaint_id,
            Notification.kind == kind,
            Notification.status != "sent",
        )
    )
    complaint = await session.get(Complaint, complaint_id)
    if unsent.scalar_one() == 0 and complaint is not None and complaint.notified_at is None:
        complaint.notified_at = now


async def record(
    session: AsyncSession,
    *,
    message_id: int,
    worker: str,
    outcome: str,
    error: str | None,
    now: datetime,
    base: float,
    cap: float,
) -> None:
    row = await leases.owned(session, Notification, message_id, worker)
    if row is None:
        return
    row.attempts += 1
    row.leased_until = None
    row.last_error = error[:2000] if error else None
    if outcome == "sent":
        row.status, row.sent_at = "sent", now
        if load_messages()[row.kind].due == "notify_by":
            await _fulfil_notice(session, complaint_id=row.complaint_id, kind=row.kind, now=now)
    elif outcome == "retry":
        row.next_attempt_at = now + leases.backoff(row.attempts, base=base, cap=cap)
    else:
        row.status = "failed"


async def listing(
    session: AsyncSession, *, status: str | None, complaint_id: Any, after: int | None, limit: int
) -> Sequence[Notification]:
    statement = select(Notification).order_by(Notification.id).limit(limit)
    if status:
        statement = statement.where(Notification.status == status)
    if complaint_id:
        statement = statement.where(Notification.complaint_id == complaint_id)
    if after is not None:
        statement = statement.where(Notification.id > after)
    return (await session.execute(statement)).scalars().all()


async def retry(session: AsyncSession, *, message_id: int, now: datetime) -> Notification:
    row = await session.get(Notification, message_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no notification {message_id}")
    if row.status != "failed":
        raise Conflict(f"notification {message_id} is {row.status}, not failed")
    row.status, row.next_attempt_at, row.leased_until = "pending", now, None
    await session.flush()
    return row
