"""The statistics page: this month's counts and six months of closure rate against the target,
drawn as a server-rendered SVG (no script). The numbers come from the `/v1/stats` endpoint function."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.common.console.auth import ConsoleUser, page, signed_in
from services.common.db import SessionDep
from services.common.roles import Role
from services.common.workdays import CHINA
from services.complaints.console.messages import channel_key
from services.complaints.dependencies import ContextDep
from services.complaints.stats.router import Stats, read_stats

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[ConsoleUser, Depends(signed_in(Role.handler))]
MONTHS = 6


@dataclass(frozen=True)
class Bar:
    label: str
    rate: float | None
    x: float
    y: float
    height: float
    met: bool | None


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    top: int
    plot_height: int
    target_y: float
    bars: list[Bar]
    bar_width: float


def _month_starts(today: date, count: int) -> list[date]:
    starts, first = [], today.replace(day=1)
    for _ in range(count):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(starts))


def chart(months: list[tuple[str, Stats]], target: float) -> Chart:
    width, height, top, left, bottom = 560, 240, 16, 44, 36
    plot_height = height - top - bottom
    slot = (width - left - 8) / max(len(months), 1)
    bars = []
    for i, (label, stats) in enumerate(months):
        rate = stats.closure_rate
        h = plot_height * (rate or 0)
        bars.append(
            Bar(
                label=label,
                rate=rate,
                x=left + i * slot + slot * 0.2,
                y=top + plot_height - h,
                height=h,
                met=None if rate is None else rate >= target,
            )
        )
    return Chart(
        width=width,
        height=height,
        top=top,
        plot_height=plot_height,
        target_y=top + plot_height * (1 - target),
        bars=bars,
        bar_width=slot * 0.6,
    )


@router.get("/stats")
async def stats_page(request: Request, user: Reader, session: SessionDep, ctx: ContextDep) -> Response:
    today = ctx.now.astimezone(CHINA).date()
    months = []
    for start in _month_starts(today, MONTHS):
        end = min((start + timedelta(days=32)).replace(day=1) - timedelta(days=1), today)
        stats = await read_stats(user.principal, session, ctx, start.isoformat(), end.isoformat())
        months.append((start.strftime("%Y-%m"), stats))
    current = months[-1][1]
    target = current.closure_target
    return page(
        request,
        "stats.html",
        user=user,
        stats=current,
        target=target,
        chart=chart(months, target.target),
        channel_key=channel_key,
    )
