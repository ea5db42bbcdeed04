"""Case rules: intake with deadlines and duplicate links, the workflow, tracking, listings."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import uscc as uscc_rules
from services.common.auth import Principal
from services.common.errors import Conflict, NotFound, Unprocessable
from services.common.pagination import keyset_after
from services.common.workdays import WorkCalendar
from services.complaints.cases.evidence import Evidence
from services.complaints.cases.models import Attachment, Complaint, Transition
from services.complaints.cases.schemas import ComplaintCreate, TargetSet, TransitionCreate
from services.complaints.confidential import Vault
from services.complaints.outbox import service as outbox
from services.complaints.policy import OPEN_STATES, Policy

_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone


def new_tracking_code() -> str:
    """80 random bits in four groups, e.g. K7QM-2XWD-9HCT-P4RA."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalise_tracking_code(raw: str) -> str:
    compact = raw.strip().upper().replace("-", "").replace(" ", "")
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


@dataclass(frozen=True)
class Context:
    policy: Policy
    calendar: WorkCalendar
    vault: Vault
    now: datetime


def is_overdue(c: Complaint, now: datetime) -> bool:
    if c.status == "received":
        return now > c.accept_due_at
    if c.status in ("accepted", "investigating"):
        return c.resolve_due_at is not None and now > c.resolve_due_at
    return False


def overdue_clause(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(Complaint.status == "received", Complaint.accept_due_at < now),
        and_(Complaint.status.in_(["accepted", "investigating"]), Complaint.resolve_due_at < now),
    )


async def _open_duplicate(session: AsyncSession, data: ComplaintCreate, ctx: Context) -> uuid.UUID | None:
    if data.kind != "report" or not data.target_uscc:
        return None
    since = ctx.now - timedelta(days=ctx.policy.duplicate_window_days)
    statement = (
        select(Complaint.id, Complaint.duplicate_of)
        .where(
            Complaint.target_uscc == data.target_uscc,
            Complaint.category == str(data.category),
            Complaint.kind == "report",
            Complaint.status.in_(OPEN_STATES),
            Complaint.received_at >= since,
        )
        .order_by(Complaint.received_at)
        .limit(1)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    return row.duplicate_of or row.id


async def intake(
    session: AsyncSession, *, data: ComplaintCreate, evidence: list[Evidence], ctx: Context
) -> Complaint:
    reporter = data.reporter
    anonymous = reporter is None or not (reporter.name or reporter.phone or reporter.email)
    complaint = Complaint(
        id=uuid.uuid4(),
        tracking_code=new_tracking_code(),
        kind=data.kind,
        channel=str(data.channel),
        target_uscc=data.target_uscc,
        target_name=data.target_name,
        category=str(data.category),
        product=data.product,
        description=data.description,
        status="received",
        reporter_name_enc=ctx.vault.seal(reporter.name if reporter else None),
        reporter_phone_enc=ctx.vault.seal(reporter.phone if reporter else None),
        reporter_email_enc=ctx.vault.seal(reporter.email if reporter else None),
        anonymous=anonymous,
        duplicate_of=await _open_duplicate(session, data, ctx),
        received_at=ctx.now,
        accept_due_at=ctx.policy.accept_due(kind=data.kind, received_at=ctx.now, calendar=ctx.calendar),
        resolve_due_at=None,
        extended=False,
        updated_at=ctx.now,
    )
    session.add(complaint)
    await session.flush()
    for item in evidence:
        session.add(
            Attachment(
                complaint_id=complaint.id,
                filename=item.filename,
                media_type=item.media_type,
                size=len(item.content),
                sha256=item.sha256,
                content=item.content,
            )
        )
    await session.flush()
    return complaint


async def get(session: AsyncSession, complaint_id: uuid.UUID, *, for_update: bool = False) -> Complaint:
    statement = select(Complaint).where(Complaint.id == complaint_id)
    if for_update:
        statement = statement.with_for_update()
    complaint = (await session.execute(statement)).scalar_one_or_none()
    if complaint is None:
        raise NotFound(f"no complaint {complaint_id}")
    return complaint


async def by_tracking_code(session: AsyncSession, code: str) -> Complaint:
    statement = select(Complaint).where(Complaint.tracking_code == normalise_tracking_code(code))
    complaint = (await session.execute(statement)).scalar_one_or_none()
    if complaint is None:
        raise NotFound("no case with this tracking code")
    return complaint


async def transition(
    session: AsyncSession,
    *,
    complaint_id: uuid.UUID,
    data: TransitionCreate,
    actor: Principal,
    ctx: Context,
) -> Complaint:
    # The row lock makes concurrent transitions of one case take turns; the loser sees the new state.
    complaint = await get(session, complaint_id, for_update=True)
    await session.refresh(complaint)
    allowed = ctx.policy.workflow.get(complaint.status, {})
    if data.action not in allowed:
        raise Conflict(
            f"cannot {data.action} a case that is {complaint.status}; allowed: "
            + (", ".join(sorted(allowed)) or "none"),
            current_status=complaint.status,
            allowed_actions=sorted(allowed),
        )
    if data.action == "extend" and (complaint.kind != "report" or complaint.extended):
        raise Conflict(
            "only a report's decision deadline can be extended, and only once",
            current_status=complaint.status,
            allowed_actions=sorted(set(allowed) - {"extend"}),
        )
    if data.action == "substantiate" and not complaint.target_uscc:
        # A substantiated case becomes a credit event, which needs the enterprise's code; without
        # one it would silently never reach the registry.
        raise Conflict(
            f"a substantiated case becomes a credit event and needs the enterprise's code: set it with "
            f"PUT /v1/complaints/{complaint.id}/target first",
            current_status=complaint.status,
            missing="target_uscc",
        )
    if data.action == "substantiate" and data.finding is None:
        raise Unprocessable(
            "finding: a substantiated case needs a finding with its severity",
            errors=[{"field": "finding", "message": "required to substantiate"}],
        )
    before = complaint.status
    complaint.status = allowed[data.action]
    complaint.updated_at = ctx.now
    if data.action == "extend":
        complaint.extended = True
        complaint.accept_due_at = ctx.calendar.deadline(
            complaint.accept_due_at, ctx.policy.report_extension_days
        )
    elif data.action == "accept":
        complaint.accepted_at = ctx.now
        complaint.resolve_due_at = ctx.policy.handle_due(
            kind=complaint.kind, accepted_at=ctx.now, calendar=ctx.calendar
        )
    elif data.action in ("reject", "substantiate", "unsubstantiate"):
        complaint.concluded_at = ctx.now
        if data.action == "reject":
            complaint.resolve_due_at = complaint.accept_due_at
    elif data.action == "close":
        complaint.closed_at = ctx.now
    if data.finding is not None:
        complaint.finding_severity = data.finding.severity
        complaint.finding_category = str(data.finding.category or complaint.category)
    if data.outcome is not None:
        complaint.outcome = data.outcome
    session.add(
        Transition(
            complaint_id=complaint.id,
            action=data.action,
            from_status=before,
            to_status=complaint.status,
            note=data.note,
            actor=actor.actor,
            at=ctx.now,
        )
    )
    if data.action == "substantiate":
        await outbox.enqueue(session, complaint=complaint, now=ctx.now)
    await session.flush()
    return complaint


async def set_target(
    session: AsyncSession, *, complaint_id: uuid.UUID, data: TargetSet, actor: Principal, ctx: Context
) -> Complaint:
    """Match a case to its enterprise. A substantiated case's credit event follows the new code: queued
    if it never was (substantiated without a code), re-queued if the registry had refused it."""
    complaint = await get(session, complaint_id, for_update=True)
    await session.refresh(complaint)
    if data.check_override_reason is None:
        try:
            uscc_rules.check_digits(data.target_uscc)
        except uscc_rules.UsccError as exc:
            reason = f"{exc.message}; an early pilot code needs check_override_reason"
            raise Unprocessable(
                f"target_uscc: {reason}",
                errors=[{"field": "target_uscc", "rule": exc.rule, "message": reason}],
            ) from exc
    message = await outbox.message_for(session, complaint.id)
    if message is not None and message.status == "sent" and message.uscc != data.target_uscc:
        raise Conflict(
            f"the credit event was delivered to {message.uscc}; revoke it at the registry before the case"
            " can name another enterprise",
            current_status=complaint.status,
        )
    before = complaint.target_uscc
    complaint.target_uscc = data.target_uscc
    if data.target_name is not None:
        complaint.target_name = data.target_name
    complaint.updated_at = ctx.now
    note = f"target {before or '-'} -> {data.target_uscc}"
    if data.check_override_reason:
        note += f"; check override: {data.check_override_reason}"
    if data.note:
        note += f"; {data.note}"
    session.add(
        Transition(
            complaint_id=complaint.id,
            action="set_target",
            from_status=complaint.status,
            to_status=complaint.status,
            note=note,
            actor=actor.actor,
            at=ctx.now,
        )
    )
    if message is not None:
        await outbox.redirect(session, message=message, uscc=data.target_uscc, now=ctx.now)
    elif await _was_substantiated(session, complaint.id):
        await outbox.enqueue(session, complaint=complaint, now=ctx.now)
    await session.flush()
    return complaint


async def _was_substantiated(session: AsyncSession, complaint_id: uuid.UUID) -> bool:
    statement = select(Transition.id).where(
        Transition.complaint_id == complaint_id, Transition.action == "substantiate"
    )
    return (await session.execute(statement.limit(1))).first() is not None


async def transitions_of(session: AsyncSession, complaint_id: uuid.UUID) -> Sequence[Transition]:
    statement = select(Transition).where(Transition.complaint_id == complaint_id).order_by(Transition.id)
    return (await session.execute(statement)).scalars().all()


async def attachments_of(session: AsyncSession, complaint_id: uuid.UUID) -> Sequence[Attachment]:
    statement = select(Attachment).where(Attachment.complaint_id == complaint_id)
    return (await session.execute(statement)).scalars().all()


async def attachment(session: AsyncSession, complaint_id: uuid.UUID, attachment_id: uuid.UUID) -> Attachment:
    found = await session.get(Attachment, attachment_id)
    if found is None or found.complaint_id != complaint_id:
        raise NotFound(f"no attachment {attachment_id} on complaint {complaint_id}")
    return found


async def search(
    session: AsyncSession,
    *,
    status: str | None,
    uscc: str | None,
    overdue: bool | None,
    now: datetime,
    after: tuple[str, str] | None,
    limit: int,
) -> Sequence[Complaint]:
    statement = select(Complaint).order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(limit)
    if status:
        statement = statement.where(Complaint.status == status)
    if uscc:
        statement = statement.where(Complaint.target_uscc == uscc)
    if overdue is True:
        statement = statement.where(overdue_clause(now))
    elif overdue is False:
        statement = statement.where(~overdue_clause(now))
    if after is not None:
        statement = statement.where(keyset_after(Complaint.received_at, Complaint.id, after))
    return (await session.execute(statement)).scalars().all()
