"""Inspection tasks and their results; the public results of a plan (一公开)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import NotFound, responses
from services.common.pagination import IdCursor, LimitQuery, Page, decode_cursor, encode_cursor
from services.common.roles import Role
from services.registry.dependencies import NowDep, RulesDep
from services.registry.supervision import plans, tasks
from services.registry.supervision.models import InspectionTask
from services.registry.supervision.rules import load_rules
from services.registry.supervision.schemas import PlanResults, PublishedResult, ResultStep, TaskOut

router = APIRouter(tags=["supervision"])
Regulator = Annotated[Principal, Depends(require_roles(Role.regulator))]


def task_view(task: InspectionTask) -> TaskOut:
    return TaskOut.model_validate(
        {
            **{c: getattr(task, c) for c in TaskOut.model_fields if c != "inspectors"},
            "inspectors": [uuid.UUID(i) for i in task.inspectors],
        }
    )


@router.get("/v1/inspection-tasks", response_model=Page[TaskOut], responses=responses(401, 403, 422))
async def list_tasks(
    actor: Regulator,
    session: SessionDep,
    plan_id: uuid.UUID | None = None,
    uscc: Annotated[str | None, Query(pattern=r"^[0-9A-Z]{18}$")] = None,
    cursor: IdCursor = None,
    limit: LimitQuery = 50,
) -> Page[TaskOut]:
    """Tasks, by plan or enterprise (regulator)."""
    after = decode_cursor(cursor, ("uuid",))
    rows = await tasks.list_tasks(
        session, plan_id=plan_id, uscc=uscc, after=after[0] if after else None, limit=limit
    )
    next_cursor = encode_cursor(str(rows[-1].id)) if len(rows) == limit else None
    return Page[TaskOut](items=[task_view(t) for t in rows], next_cursor=next_cursor)


@router.get("/v1/inspection-tasks/{task_id}", response_model=TaskOut, responses=responses(401, 403, 404, 422))
async def read_task(actor: Regulator, task_id: uuid.UUID, session: SessionDep) -> TaskOut:
    """One task: its inspectors and every step of its result (regulator)."""
    return task_view(await tasks.get_task(session, task_id))


@router.post(
    "/v1/inspection-tasks/{task_id}/results",
    response_model=TaskOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def record_result(
    actor: Regulator, task_id: uuid.UUID, body: ResultStep, session: SessionDep, rules: RulesDep, now: NowDep
) -> TaskOut:
    """Record the next spot-check step; a failed final result becomes a credit event (regulator)."""
    return task_view(
        await tasks.record_step(session, task_id=task_id, data=body, actor=actor, rules=rules, now=now)
    )


@router.get(
    "/v1/inspection-plans/{plan_id}/results", response_model=PlanResults, responses=responses(404, 422)
)
async def plan_results(plan_id: uuid.UUID, session: SessionDep) -> PlanResults:
    """A plan's commitment from approval (seed hash), then its seed and final results (一公开, public)."""
    plan = await plans.get_plan(session, plan_id)
    if plan.status not in ("approved", "drawn", "closed"):
        raise NotFound(f"plan {plan_id} is not approved yet")
    return PlanResults(
        plan_id=plan.id,
        status=plan.status,  # type: ignore[arg-type]
        seed_sha256=plan.seed_sha256,
        seed=plan.seed if plan.status != "approved" else None,
        candidate_count=plan.candidate_count,
        candidates_sha256=plan.candidates_sha256,
        quotas=plan.quotas,
        title=plan.title,
        authority=plan.authority,
        period_start=plan.period_start,
        period_end=plan.period_end,
        publish_within_working_days=load_rules().publish_within_working_days,
        results=[
            PublishedResult(
                task_id=t.id,
                uscc=t.uscc,
                name=name,
                product=t.product,
                category=t.category,
                final_result=t.final_result,  # type: ignore[arg-type]
                finalised_at=t.finalised_at,  # type: ignore[arg-type]
            )
            for t, name in await tasks.published_results(session, plan.id)
        ],
    )
