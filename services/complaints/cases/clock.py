"""A case's legal clock: its deadlines written from its facts, and recomputed for a newer calendar."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.calendar_watch import Move, Tracked, moves_since, snapshot
from services.common.workdays import WorkCalendar
from services.complaints.cases.models import Complaint, Transition
from services.complaints.deadlines import CaseDeadlines, Facts, Pause, compute
from services.complaints.policy import OPEN_STATES, Policy


def pauses_from(steps: Sequence[Transition]) -> tuple[Pause, ...]:
    """Pause intervals from the timeline: each `pause` closed by the next `resume`."""
    pauses: list[Pause] = []
    started: datetime | None = None
    for step in steps:
        if step.action == "pause":
            started = step.at
        elif step.action == "resume" and started is not None:
            pauses.append(Pause(started, step.at))
            started = None
    if started is not None:
        pauses.append(Pause(started, None))
    return tuple(pauses)


def facts_of(c: Complaint, pauses: tuple[Pause, ...]) -> Facts:
    decided_at = None
    mediation_ended_at = None
    if c.kind == "report":
        decided_at = c.accepted_at or c.concluded_at
    elif c.accepted_at is not None:
        mediation_ended_at = c.concluded_at
    return Facts(
        kind=c.kind,
        anonymous=c.anonymous,
        received_at=c.received_at,
        decision_period_from=c.decision_period_from,
        accepted_at=c.accepted_at,
        decided_at=decided_at,
        mediation_ended_at=mediation_ended_at,
        violation_found_at=c.violation_found_at,
        decision_extended=c.extended,
        case_extended=c.case_extended,
        violation_check_extended=c.violation_check_extended,
        pauses=pauses,
    )


def write(c: Complaint, d: CaseDeadlines, calendar: WorkCalendar) -> None:
    c.accept_due_at, c.accept_due_provisional = d.accept.at, d.accept.provisional
    c.resolve_due_at = d.resolve.at if d.resolve else None
    c.resolve_due_provisional = bool(d.resolve and d.resolve.provisional)
    if c.accepted_at is None and c.concluded_at is not None:
        # A refused case is concluded by its refusal: the decision deadline is the last one it had.
        c.resolve_due_at, c.resolve_due_provisional = c.accept_due_at, c.accept_due_provisional
    c.notify_due_at = d.notify.at if d.notify else None
    c.notify_due_provisional = bool(d.notify and d.notify.provisional)
    c.violation_check_due_at = d.violation_check.at if d.violation_check else None
    c.violation_check_provisional = bool(d.violation_check and d.violation_check.provisional)
    c.deadlines_calendar = calendar.fingerprint


async def steps_of(session: AsyncSession, complaint_id: object) -> Sequence[Transition]:
    statement = select(Transition).where(Transition.complaint_id == complaint_id).order_by(Transition.id)
    return (await session.execute(statement)).scalars().all()


async def refresh(session: AsyncSession, c: Complaint, *, policy: Policy, calendar: WorkCalendar) -> None:
    """Recompute and store every deadline of `c` (flushes nothing; the caller's unit of work does)."""
    pauses = pauses_from(await steps_of(session, c.id))
    deadlines = compute(
        facts_of(c, pauses),
        policy.rule_set(c.rule_set),
        calendar,
        weekends_are_holidays=policy.weekends_are_holidays,
    )
    write(c, deadlines, calendar)


_TRACKED: Tracked = (
    ("accept_by", "accept_due_at", "accept_due_provisional"),
    ("resolve_by", "resolve_due_at", "resolve_due_provisional"),
    ("notify_by", "notify_due_at", "notify_due_provisional"),
    ("violation_check_by", "violation_check_due_at", "violation_check_provisional"),
)


def _pending_clause():  # type: ignore[no-untyped-def]
    return or_(
        Complaint.status.in_(OPEN_STATES),
        (Complaint.notify_due_at.is_not(None)) & (Complaint.notified_at.is_(None)),
    )


async def recompute_open(
    session: AsyncSession, *, policy: Policy, calendar: WorkCalendar, batch: int = 500
) -> list[Move]:
    """Recompute the deadlines of every case still running that were computed with another
    calendar; answers what moved. The caller commits (or rolls back, for a dry run)."""
    moves: list[Move] = []
    last_id = None
    while True:
        statement = (
            select(Complaint)
            .where(
                _pending_clause(),
                or_(
                    Complaint.deadlines_calendar.is_(None),
                    Complaint.deadlines_calendar != calendar.fingerprint,
                ),
            )
            .order_by(Complaint.id)
            .limit(batch)
        )
        if last_id is not None:
            statement = statement.where(Complaint.id > last_id)
        rows = (await session.execute(statement)).scalars().all()
        if not rows:
            return moves
        for c in rows:
            before = snapshot(c, _TRACKED)
            await refresh(session, c, policy=policy, calendar=calendar)
            moves.extend(moves_since(str(c.id), c, _TRACKED, before))
        await session.flush()
        last_id = rows[-1].id
