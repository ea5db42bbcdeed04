"""Orders to correct a declaration by a deadline (Order 83 第三十条 to 第三十三条) and their publication.

A regulator's non-compliant finding may order a correction by a day (the article leaves the period to
the order). A later compliant finding on the declaration closes every open order. Once the day has
passed (Beijing time) with the order still open, the failure to correct is published: the flag reads
`correction_overdue` on the declaration, and `GET /v1/standards/uncorrected` lists it for everyone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import keyset_after
from services.common.workdays import CHINA
from services.registry.standards.models import StandardFlag


def local_day(now: datetime) -> date:
    return now.astimezone(CHINA).date()


def is_overdue(flag: StandardFlag, now: datetime) -> bool:
    return (
        flag.correction_due_on is not None
        and flag.corrected_at is None
        and local_day(now) > flag.correction_due_on
    )


async def close_open_orders(
    session: AsyncSession, declaration_id: uuid.UUID, *, actor: str, now: datetime
) -> None:
    """A compliant finding: the orders to correct on this declaration are complied with."""
    await session.execute(
        update(StandardFlag)
        .where(
            StandardFlag.declaration_id == declaration_id,
            StandardFlag.correction_due_on.is_not(None),
            StandardFlag.corrected_at.is_(None),
        )
        .values(corrected_at=now, corrected_by=actor)
        .execution_options(synchronize_session=False)
    )


async def uncorrected(
    session: AsyncSession, *, now: datetime, after: tuple[str, str] | None, limit: int
) -> Sequence[StandardFlag]:
    """Open orders whose day has passed, the most recent finding first."""
    statement = (
        select(StandardFlag)
        .where(StandardFlag.corrected_at.is_(None), StandardFlag.correction_due_on < local_day(now))
        .order_by(StandardFlag.flagged_at.desc(), StandardFlag.id.desc())
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(keyset_after(StandardFlag.flagged_at, StandardFlag.id, after))
    return (await session.execute(statement)).scalars().all()
