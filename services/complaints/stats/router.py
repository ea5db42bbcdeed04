"""Statistics endpoint."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import Unprocessable, responses
from services.common.roles import Role
from services.common.workdays import CHINA
from services.complaints.dependencies import ContextDep
from services.complaints.stats import service

router = APIRouter(tags=["statistics"])
Reader = Annotated[Principal, Depends(require_roles(Role.handler, Role.regulator))]


class Stats(BaseModel):
    from_: datetime
    to: datetime
    as_of: datetime
    by_status: dict[str, int]
    by_channel: dict[str, int]
    by_category: dict[str, int]
    due: int
    concluded_within_deadline: int
    closure_rate: float | None
    overdue: int


@router.get("/v1/stats", response_model=Stats, responses=responses(401, 403, 422))
async def read_stats(
    actor: Reader,
    session: SessionDep,
    ctx: ContextDep,
    from_: Annotated[date | None, Query(alias="from", description="first day (China time)")] = None,
    to: Annotated[date | None, Query(description="last day, inclusive (China time)")] = None,
) -> Stats:
    """Counts by status, channel and category; closure within deadline; overdue (handler, regulator)."""
    today = ctx.now.astimezone(CHINA).date()
    last = to or today
    first = from_ or last.replace(day=1)
    if first > last:
        raise Unprocessable("from must not be after to", errors=[{"field": "from", "message": "after to"}])
    start = datetime.combine(first, time(0), tzinfo=CHINA)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=CHINA)
    data = await service.statistics(session, start=start, end=end, now=ctx.now)
    return Stats(from_=data.pop("from"), to=data.pop("to"), **data)
