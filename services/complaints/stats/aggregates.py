"""Complaint and report counts for the registry's early-warning signals: aggregates only.

What leaves: (week start, region, category, kind, count). No case id, no reporter, no description, no
free text of any kind: the query selects nothing else. Region is positions 3–6 of the target's code
(the city-level division); cases that name no enterprise have no region and are not counted.
Callers: the registry, with a short-lived `service` token signed by its own key.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import Forbidden, Unprocessable, responses
from services.common.roles import Role
from services.common.workdays import CHINA
from services.complaints.cases.models import Complaint

router = APIRouter(tags=["statistics"])
Service = Annotated[Principal, Depends(require_roles(Role.service))]
MAX_DAYS = 400


class Bucket(BaseModel):
    bucket_start: date
    region: str
    category: str
    kind: str
    count: int


class Aggregates(BaseModel):
    from_: date
    to: date
    bucket_days: int
    items: list[Bucket]


@router.get("/v1/aggregates/complaints", response_model=Aggregates, responses=responses(401, 403, 422))
async def complaint_aggregates(
    actor: Service,
    session: SessionDep,
    from_: Annotated[date, Query(alias="from", description="first day (China time)")],
    to: Annotated[date, Query(description="last day, inclusive (China time)")],
    bucket_days: Annotated[int, Query(ge=1, le=31)] = 7,
) -> Aggregates:
    """Complaint and report counts by bucket × region × category × kind, nothing else (registry)."""
    if actor.subject != "registry":
        raise Forbidden("aggregates are for the registry's signal job")
    if to < from_ or (to - from_).days > MAX_DAYS:
        raise Unprocessable(
            f"from..to must be a range of at most {MAX_DAYS} days",
            errors=[{"field": "from", "in": "query", "message": "bad range"}],
        )
    start = datetime.combine(from_, time(0), tzinfo=CHINA)
    end = datetime.combine(to + timedelta(days=1), time(0), tzinfo=CHINA)
    rows = await session.execute(
        select(Complaint.received_at, Complaint.target_uscc, Complaint.category, Complaint.kind).where(
            Complaint.received_at >= start, Complaint.received_at < end, Complaint.target_uscc.is_not(None)
        )
    )
    counts: Counter[tuple[date, str, str, str]] = Counter()
    for received_at, target, category, kind in rows:
        day = received_at.astimezone(CHINA).date()
        bucket = from_ + timedelta(days=((day - from_).days // bucket_days) * bucket_days)
        counts[(bucket, (target or "")[2:6], category, kind)] += 1
    items = [
        Bucket(bucket_start=b, region=r, category=c, kind=k, count=n)
        for (b, r, c, k), n in sorted(counts.items())
    ]
    return Aggregates(from_=from_, to=to, bucket_days=bucket_days, items=items)
