"""Early-warning endpoints: warnings and their lifecycle, notices (public), signal runs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import responses
from services.common.pagination import LimitQuery, Page, TimeAndIdCursor, encode_cursor, time_and_id_after
from services.common.roles import Role
from services.common.workdays import CHINA
from services.registry.dependencies import NowDep
from services.registry.supervision.router import plan_view
from services.registry.supervision.schemas import PlanOut
from services.registry.warnings import job, service
from services.registry.warnings.schemas import (
    DirectedPlanCreate,
    Level,
    NoticeCreate,
    NoticeOut,
    SignalRunOut,
    WarningOut,
    WarningTransition,
)

router = APIRouter(tags=["early warning"])
Regulator = Annotated[Principal, Depends(require_roles(Role.regulator))]


@router.get("/v1/warnings", response_model=Page[WarningOut], responses=responses(401, 403, 422))
async def list_warnings(
    actor: Regulator,
    session: SessionDep,
    warning_status: Annotated[
        str | None, Query(alias="status", pattern=r"^(open|assessed|disposed|closed)$")
    ] = None,
    level: Level | None = None,
    cursor: TimeAndIdCursor = None,
    limit: LimitQuery = 20,
) -> Page[WarningOut]:
    """Warnings, newest first, by status and level (regulator)."""
    rows = await service.list_warnings(
        session, status=warning_status, level=level, after=time_and_id_after(cursor), limit=limit
    )
    next_cursor = (
        encode_cursor(rows[-1].raised_at.isoformat(), str(rows[-1].id)) if len(rows) == limit else None
    )
    return Page[WarningOut](items=[WarningOut.model_validate(w) for w in rows], next_cursor=next_cursor)


@router.get("/v1/warnings/{warning_id}", response_model=WarningOut, responses=responses(401, 403, 404, 422))
async def read_warning(actor: Regulator, warning_id: uuid.UUID, session: SessionDep) -> WarningOut:
    """One warning with its evidence (window, count, baseline, ids behind it) and history (regulator)."""
    return WarningOut.model_validate(await service.get_warning(session, warning_id))


@router.post(
    "/v1/warnings/{warning_id}/transitions",
    response_model=WarningOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def transition_warning(
    actor: Regulator, warning_id: uuid.UUID, body: WarningTransition, session: SessionDep, now: NowDep
) -> WarningOut:
    """Assess (研判), dispose (处置, with measures) or close a warning (regulator)."""
    return WarningOut.model_validate(
        await service.transition(session, warning_id=warning_id, data=body, actor=actor, now=now)
    )


@router.post(
    "/v1/warnings/{warning_id}/notices",
    status_code=status.HTTP_201_CREATED,
    response_model=NoticeOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def publish_notice(
    actor: Regulator,
    warning_id: uuid.UUID,
    body: NoticeCreate,
    session: SessionDep,
    now: NowDep,
    response: Response,
) -> NoticeOut:
    """Publish a consumer risk notice from an assessed warning, in Chinese and English (regulator)."""
    notice = await service.publish_notice(session, warning_id=warning_id, data=body, actor=actor, now=now)
    response.headers["Location"] = f"/v1/risk-notices/{notice.id}"
    return NoticeOut.model_validate(notice)


@router.post(
    "/v1/warnings/{warning_id}/directed-plan",
    status_code=status.HTTP_201_CREATED,
    response_model=PlanOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def directed_plan(
    actor: Regulator,
    warning_id: uuid.UUID,
    body: DirectedPlanCreate,
    session: SessionDep,
    now: NowDep,
    response: Response,
) -> PlanOut:
    """Turn an assessed warning into a directed spot-check plan (draft) in one step (regulator)."""
    plan = await service.directed_plan(
        session, warning_id=warning_id, data=body, actor=actor, today=now.astimezone(CHINA).date(), now=now
    )
    response.headers["Location"] = f"/v1/inspection-plans/{plan.id}"
    return plan_view(plan)


@router.get("/v1/risk-notices", response_model=Page[NoticeOut], responses=responses(422))
async def list_notices(
    session: SessionDep, cursor: TimeAndIdCursor = None, limit: LimitQuery = 20
) -> Page[NoticeOut]:
    """Published consumer risk notices, newest first (public)."""
    rows = await service.list_notices(session, after=time_and_id_after(cursor), limit=limit)
    next_cursor = (
        encode_cursor(rows[-1].published_at.isoformat(), str(rows[-1].id)) if len(rows) == limit else None
    )
    return Page[NoticeOut](items=[NoticeOut.model_validate(n) for n in rows], next_cursor=next_cursor)


@router.get("/v1/risk-notices/{notice_id}", response_model=NoticeOut, responses=responses(404, 422))
async def read_notice(notice_id: uuid.UUID, session: SessionDep) -> NoticeOut:
    """One consumer risk notice (public)."""
    return NoticeOut.model_validate(await service.get_notice(session, notice_id))


@router.post("/v1/signal-runs", response_model=SignalRunOut, responses=responses(401, 403))
async def run_signals(actor: Regulator, request: Request) -> SignalRunOut:
    """Run the signal job once now, under its lease (regulator)."""
    state = request.app.state
    result = await job.run_once(
        state.sessions,
        settings=state.settings,
        clock=state.clock,
        transport=getattr(state, "complaints_transport", None),
    )
    return SignalRunOut(
        ran=result.ran,
        raised=result.raised,
        series=result.series,
        complaints_available=result.complaints_available,
    )
