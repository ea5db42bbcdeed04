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
from services.complaints.cases import clock
from services.complaints.cases.evidence import Evidence
from services.complaints.cases.models import Attachment, Complaint, Transition
from services.complaints.cases.schemas import ComplaintCreate, TargetSet, TransitionCreate
from services.complaints.confidential import Vault
from services.complaints.deadlines import compute
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
    """Past a legal deadline; a paused clock (testing, appraisal) stops at the pause."""
    clock_now = c.paused_at or now
    if c.notify_due_at is not None and c.notified_at is None and now > c.notify_due_at:
        return True
    if c.status in OPEN_STATES and c.violation_check_due_at is not None and now > c.violation_check_due_at:
        return True
    if c.status == "received":
        return clock_now > c.accept_due_at
    if c.status in ("accepted", "investigating"):
        return c.resolve_due_at is not None and clock_now > c.resolve_due_at
    return False


def overdue_clause(now: datetime):  # type: ignore[no-untyped-def]
    running = or_(
        and_(Complaint.paused_at.is_(None), Complaint.status == "received", Complaint.accept_due_at < now),
        and_(
            Complaint.paused_at.is_not(None),
            Complaint.status == "received",
            Complaint.accept_due_at < Complaint.paused_at,
        ),
        and_(
            Complaint.paused_at.is_(None),
            Complaint.status.in_(["accepted", "investigating"]),
            Complaint.resolve_due_at < now,
        ),
        and_(
            Complaint.paused_at.is_not(None),
            Complaint.status.in_(["accepted", "investigating"]),
            Complaint.resolve_due_at < Complaint.paused_at,
        ),
    )
    return or_(
        running,
        and_(Complaint.notify_due_at < now, Complaint.notified_at.is_(None)),
        and_(Complaint.status.in_(OPEN_STATES), Complaint.violation_check_due_at < now),
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


@dataclass(frozen=True)
class Received:
    """When and how a case was received: now, or (filed by a handler) its original time."""

    at: datetime
    filed_by: str | None = None
    platform_ref: str | None = None


def _same_reporter(original: Complaint, data: ComplaintCreate, vault: Vault) -> bool:
    """The same person reports again: the same phone or email (names alone are not unique)."""
    r = data.reporter
    if original.anonymous or r is None:
        return False
    phone, email = vault.open(original.reporter_phone_enc), vault.open(original.reporter_email_enc)
    digits = "".join(ch for ch in (r.phone or "") if ch.isdigit())
    same_phone = bool(digits) and digits == "".join(ch for ch in (phone or "") if ch.isdigit())
    same_email = bool(r.email) and (r.email or "").lower() == (email or "").lower()
    return same_phone or same_email


async def merge_repeat_report(
    session: AsyncSession, *, original_id: uuid.UUID, new: Complaint, data: ComplaintCreate, ctx: Context
) -> None:
    """Order 121 Art. 35: a report by the same reporter on the same enterprise merges into the open
    case and its decision period restarts from the last report's receipt (Order 20: no restart)."""
    original = await get(session, original_id, for_update=True)
    rules = ctx.policy.rule_set(original.rule_set)
    if not rules.merged_report_restarts or original.status != "received" or original.paused_at:
        return
    if not _same_reporter(original, data, ctx.vault) or new.received_at <= original.decision_period_from:
        return
    original.decision_period_from = new.received_at
    original.updated_at = ctx.now
    session.add(
        Transition(
            complaint_id=original.id,
            action="merge",
            from_status=original.status,
            to_status=original.status,
            note=f"合并同一举报人再次举报 {new.id}，自收到最后一次举报之日起重新计算处理期限",
            actor="system",
            at=ctx.now,
        )
    )
    await session.flush()
    await clock.refresh(session, original, policy=ctx.policy, calendar=ctx.calendar)


async def intake(
    session: AsyncSession,
    *,
    data: ComplaintCreate,
    evidence: list[Evidence],
    ctx: Context,
    received: Received | None = None,
) -> Complaint:
    if data.channel not in ctx.policy.channels:
        message = f"unknown channel {data.channel!r}; accepted: {', '.join(ctx.policy.channels)}"
        raise Unprocessable(f"channel: {message}", errors=[{"field": "channel", "message": message}])
    received = received or Received(at=ctx.now)
    rule_set = ctx.policy.rule_set_for(received.at)
    reporter = data.reporter
    anonymous = reporter is None or not (reporter.name or reporter.phone or reporter.email)
    duplicate_of = await _open_duplicate(session, data, ctx)
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
        duplicate_of=duplicate_of,
        received_at=received.at,
        rule_set=rule_set.key,
        filed_by=received.filed_by,
        platform_ref=received.platform_ref,
        decision_period_from=received.at,
        extended=False,
        case_extended=False,
        violation_check_extended=False,
        updated_at=ctx.now,
    )
    due = compute(
        clock.facts_of(complaint, ()),
        rule_set,
        ctx.calendar,
        weekends_are_holidays=ctx.policy.weekends_are_holidays,
    )
    clock.write(complaint, due, ctx.calendar)
    session.add(complaint)
    await session.flush()
    if received.filed_by is not None:
        session.add(
            Transition(
                complaint_id=complaint.id,
                action="file",
                from_status="received",
                to_status="received",
                note=f"{data.channel} {received.platform_ref or ''}".strip(),
                actor=received.filed_by,
                at=ctx.now,
            )
        )
    if duplicate_of is not None:
        await merge_repeat_report(session, original_id=duplicate_of, new=complaint, data=data, ctx=ctx)
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


def _clock_refusal(c: Complaint, action: str) -> str | None:
    """Why a clock action (or any action while the clock is paused) is refused, or None."""
    if c.paused_at is not None and action != "resume":
        return "the clock is paused for testing or appraisal; resume it first"
    if action == "resume" and c.paused_at is None:
        return "the clock is not paused"
    if action == "pause" and c.kind == "complaint" and c.status == "received":
        # Only the mediation period stops for testing (Order 121 Art. 22), not the acceptance decision.
        return "a complaint's clock can be paused during mediation only"
    if action == "extend":
        if c.kind != "report":
            return "only a report's decision or case deadline can be extended"
        if (c.status == "received" and c.extended) or (c.status != "received" and c.case_extended):
            return "this deadline has already been extended once"
    if action == "flag_violation" and (c.kind != "complaint" or c.violation_found_at is not None):
        return "a violation check is opened once, for a complaint in mediation"
    if action == "extend_check" and (c.violation_found_at is None or c.violation_check_extended):
        return "the violation check can be extended once, after a violation was flagged"
    if action == "notify" and (c.notify_due_at is None or c.notified_at is not None):
        return "no notice is due on this case"
    return None


def allowed_actions(c: Complaint, policy: Policy) -> list[str]:
    """The actions the workflow and the case's clock allow now."""
    return [a for a in policy.allowed_actions(c.status) if _clock_refusal(c, a) is None]


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
    possible = allowed_actions(complaint, ctx.policy)
    if data.action not in allowed:
        raise Conflict(
            f"cannot {data.action} a case that is {complaint.status}; allowed: "
            + (", ".join(possible) or "none"),
            current_status=complaint.status,
            allowed_actions=possible,
        )
    refusal = _clock_refusal(complaint, data.action)
    if refusal is not None:
        raise Conflict(refusal, current_status=complaint.status, allowed_actions=possible)
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
        if before == "received":
            complaint.extended = True
        else:
            complaint.case_extended = True
    elif data.action == "pause":
        complaint.paused_at = ctx.now
    elif data.action == "resume":
        complaint.paused_at = None
    elif data.action == "flag_violation":
        complaint.violation_found_at = ctx.now
    elif data.action == "extend_check":
        complaint.violation_check_extended = True
    elif data.action == "notify":
        complaint.notified_at = ctx.now
    elif data.action == "accept":
        complaint.accepted_at = ctx.now
    elif data.action in ("reject", "substantiate", "unsubstantiate"):
        complaint.concluded_at = ctx.now
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
    await session.flush()
    await clock.refresh(session, complaint, policy=ctx.policy, calendar=ctx.calendar)
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


def running_deadline(c: Complaint) -> datetime | None:
    """The deadline the case works against now: acceptance while received, then its period."""
    if c.status == "received":
        return c.accept_due_at
    if c.status in ("accepted", "investigating"):
        return c.resolve_due_at
    return None


async def duplicates_of(session: AsyncSession, complaint_id: uuid.UUID) -> Sequence[Complaint]:
    """Cases merged into or linked to this one as duplicates."""
    statement = (
        select(Complaint).where(Complaint.duplicate_of == complaint_id).order_by(Complaint.received_at)
    )
    return (await session.execute(statement)).scalars().all()


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
    channel: str | None = None,
    category: str | None = None,
    due_between: tuple[datetime, datetime] | None = None,
) -> Sequence[Complaint]:
    """Cases, newest first; `due_between` keeps open cases whose running deadline (acceptance while
    received, the case's period once accepted) falls in that window."""
    statement = select(Complaint).order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(limit)
    if status:
        statement = statement.where(Complaint.status == status)
    if channel:
        statement = statement.where(Complaint.channel == channel)
    if category:
        statement = statement.where(Complaint.category == category)
    if due_between is not None:
        start, end = due_between
        statement = statement.where(
            or_(
                and_(Complaint.status == "received", Complaint.accept_due_at.between(start, end)),
                and_(
                    Complaint.status.in_(["accepted", "investigating"]),
                    Complaint.resolve_due_at.between(start, end),
                ),
            )
        )
    if uscc:
        statement = statement.where(Complaint.target_uscc == uscc)
    if overdue is True:
        statement = statement.where(overdue_clause(now))
    elif overdue is False:
        statement = statement.where(~overdue_clause(now))
    if after is not None:
        statement = statement.where(keyset_after(Complaint.received_at, Complaint.id, after))
    return (await session.execute(statement)).scalars().all()
