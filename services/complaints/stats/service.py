"""Case statistics over a date range: counts, closure within deadline, overdue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.cases.models import Complaint
from services.complaints.cases.service import overdue_clause


async def _counts(session: AsyncSession, column: Any, start: datetime, end: datetime) -> dict[str, int]:
    statement = (
        select(column, func.count())
        .where(Complaint.received_at >= start, Complaint.received_at < end)
        .group_by(column)
    )
    return {str(key): int(n) for key, n in (await session.execute(statement)).all()}


async def statistics(
    session: AsyncSession, *, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    # A case is due in the range when its deadline falls in it and has passed, or it was concluded.
    due_at = func.coalesce(Complaint.resolve_due_at, Complaint.accept_due_at)
    due = select(func.count(), func.count().filter(Complaint.concluded_at <= due_at)).where(
        due_at >= start, due_at < end, (due_at <= now) | Complaint.concluded_at.is_not(None)
    )
    due_total, in_time = (await session.execute(due)).one()
    overdue = (await session.execute(select(func.count()).where(overdue_clause(now)))).scalar_one()
    return {
        "from": start,
        "to": end,
        "as_of": now,
        "by_status": await _counts(session, Complaint.status, start, end),
        "by_channel": await _counts(session, Complaint.channel, start, end),
        "by_category": await _counts(session, Complaint.category, start, end),
        "due": int(due_total),
        "concluded_within_deadline": int(in_time),
        "closure_rate": round(in_time / due_total, 4) if due_total else None,
        "overdue": int(overdue),
    }
