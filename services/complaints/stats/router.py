"""Statistics endpoint."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import Unprocessable, responses
from services.common.roles import Role
from services.common.workdays import CHINA
from services.complaints.dependencies import ContextDep
from services.complaints.rewards import service as rewards
from services.complaints.stats import service
from services.complaints.stats.targets import load_target

router = APIRouter(tags=["statistics"])
# A calendar day as YYYY-MM-DD within the years the service can count in (no timestamps, no year
# 9999 that overflows a day later).
DAY: dict[str, Any] = {
    "pattern": r"^(19[7-9]\d|2\d{3})-\d{2}-\d{2}$",
    "json_schema_extra": {"format": "date"},
}


def _day(field: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Unprocessable(
            f"{field}: not a calendar day", errors=[{"field": field, "in": "query", "message": "not a day"}]
        ) from exc


class ClosureTarget(BaseModel):
    target: float
    met: bool | None = Field(description="closure_rate >= target; null when nothing fell due")
    source: str


class RewardStep(BaseModel):
    count: int
    amount: Decimal = Field(description="yuan")


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
    closure_target: ClosureTarget
    rewards: dict[str, RewardStep]


@router.get("/v1/stats", response_model=Stats, responses=responses(401, 403, 422))
async def read_stats(
    actor: Reader,
    session: SessionDep,
    ctx: ContextDep,
    from_: Annotated[str | None, Query(alias="from", description="first day (China time)", **DAY)] = None,
    to: Annotated[str | None, Query(description="last day, inclusive (China time)", **DAY)] = None,
) -> Stats:
    """Counts; closure rate against its target; overdue; rewards by step (handler, regulator)."""
    today = ctx.now.astimezone(CHINA).date()
    last = _day("to", to) or today
    first = _day("from", from_) or last.replace(day=1)
    # from after to is an empty range: nothing was received in it (an answer, not an error).
    start = datetime.combine(first, time(0), tzinfo=CHINA)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=CHINA)
    data = await service.statistics(session, start=start, end=end, now=ctx.now)
    target = load_target()
    rate = data["closure_rate"]
    data["closure_target"] = ClosureTarget(
        target=target.target, met=None if rate is None else rate >= target.target, source=target.source
    )
    data["rewards"] = await rewards.statistics(session, start=start, end=end)
    return Stats(from_=data.pop("from"), to=data.pop("to"), **data)
