"""Classified supervision endpoints: risk classes, the catalogue, inspectors, plans and their draws."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy import select

from services.common.auth import OptionalPrincipalDep, Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import Conflict, NotFound, responses
from services.common.pagination import (
    CodeCursor,
    IdCursor,
    LimitQuery,
    Page,
    TimeAndIdCursor,
    decode_cursor,
    encode_cursor,
    time_and_id_after,
)
from services.common.roles import Role
from services.registry.dependencies import NowDep, UsccPathDep
from services.registry.draws import commit_reveal
from services.registry.supervision import plans
from services.registry.supervision.models import InspectionPlan, Inspector, RiskClass
from services.registry.supervision.rules import load_catalogue
from services.registry.supervision.schemas import (
    Candidate,
    CatalogueOut,
    InspectorCreate,
    InspectorOut,
    PlanCandidates,
    PlanCreate,
    PlanOut,
    RiskClassName,
    RiskClassOut,
)

router = APIRouter(tags=["supervision"])
Regulator = Annotated[Principal, Depends(require_roles(Role.regulator))]
# Partners read risk classes (and so does the regulator); the public does not.
ClassReader = Annotated[Principal, Depends(require_roles(Role.regulator, Role.partner))]


def risk_view(r: RiskClass) -> RiskClassOut:
    return RiskClassOut.model_validate(r, from_attributes=True)


@router.get("/v1/risk-classes", response_model=Page[RiskClassOut], responses=responses(401, 403, 422))
async def list_risk_classes(
    actor: ClassReader,
    session: SessionDep,
    risk_class: Annotated[RiskClassName | None, Query(alias="class")] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,6}$")] = None,
    cursor: CodeCursor = None,
    limit: LimitQuery = 50,
) -> Page[RiskClassOut]:
    """Stored risk classes, filterable by class and region (regulator, partner)."""
    after = decode_cursor(cursor, ("code",))
    statement = select(RiskClass).order_by(RiskClass.uscc).limit(limit)
    if risk_class:
        statement = statement.where(RiskClass.risk_class == risk_class)
    if region:
        statement = statement.where(RiskClass.uscc.startswith(f"__{region}", autoescape=False))
    if after:
        statement = statement.where(RiskClass.uscc > after[0])
    rows = (await session.execute(statement)).scalars().all()
    next_cursor = encode_cursor(rows[-1].uscc) if len(rows) == limit else None
    return Page[RiskClassOut](items=[risk_view(r) for r in rows], next_cursor=next_cursor)


@router.get("/v1/risk-classes/{uscc}", response_model=RiskClassOut, responses=responses(401, 403, 404, 422))
async def read_risk_class(actor: ClassReader, uscc: UsccPathDep, session: SessionDep) -> RiskClassOut:
    """One enterprise's risk class with its explanation (regulator, partner)."""
    stored = await session.get(RiskClass, uscc)
    if stored is None:
        raise NotFound(f"no risk class for {uscc}", uscc=uscc)
    return risk_view(stored)


@router.get("/v1/supervision/catalogue", response_model=CatalogueOut)
async def catalogue() -> CatalogueOut:
    """The key-supervision product catalogue: categories, risk levels and sources (public)."""
    c = load_catalogue()
    return CatalogueOut.model_validate(
        {"version": c.version, "categories": [vars(x) | {"aliases": list(x.aliases)} for x in c.categories]}
    )


@router.post(
    "/v1/inspectors",
    status_code=status.HTTP_201_CREATED,
    response_model=InspectorOut,
    responses=responses(401, 403, 409, 422),
)
async def create_inspector(
    actor: Regulator, body: InspectorCreate, session: SessionDep, now: NowDep
) -> InspectorOut:
    """Add an inspector to the pool, with region and specialties (regulator)."""
    exists = (await session.execute(select(Inspector.id).where(Inspector.badge_no == body.badge_no))).first()
    if exists:
        raise Conflict(f"an inspector with badge {body.badge_no} exists", inspector_id=str(exists[0]))
    inspector = Inspector(id=uuid.uuid4(), created_at=now, active=True, **body.model_dump())
    session.add(inspector)
    await session.flush()
    return InspectorOut.model_validate(inspector, from_attributes=True)


@router.get("/v1/inspectors", response_model=Page[InspectorOut], responses=responses(401, 403, 422))
async def list_inspectors(
    actor: Regulator, session: SessionDep, cursor: IdCursor = None, limit: LimitQuery = 50
) -> Page[InspectorOut]:
    """The inspector pool (regulator)."""
    after = decode_cursor(cursor, ("uuid",))
    statement = select(Inspector).order_by(Inspector.id).limit(limit)
    if after:
        statement = statement.where(Inspector.id > uuid.UUID(after[0]))
    rows = (await session.execute(statement)).scalars().all()
    next_cursor = encode_cursor(str(rows[-1].id)) if len(rows) == limit else None
    return Page[InspectorOut](
        items=[InspectorOut.model_validate(i, from_attributes=True) for i in rows], next_cursor=next_cursor
    )


def plan_view(plan: InspectionPlan) -> PlanOut:
    return PlanOut(
        id=plan.id,
        title=plan.title,
        kind=plan.kind,  # type: ignore[arg-type]
        status=plan.status,  # type: ignore[arg-type]
        authority=plan.authority,
        region=plan.region,
        categories=plan.categories,
        statuses=plan.statuses,
        targets=plan.targets,
        period_start=plan.period_start,
        period_end=plan.period_end,
        ratios=plan.ratios,
        cap=plan.cap,
        inspector_pool=[uuid.UUID(i) for i in plan.inspector_pool],
        warning_id=plan.warning_id,
        rules_version=plan.rules_version,
        method=plan.method,
        seed_sha256=plan.seed_sha256,
        seed=plan.seed if plan.status in ("drawn", "closed") else None,  # secret until the draw
        candidate_count=plan.candidate_count,
        candidates_sha256=plan.candidates_sha256,
        quotas=plan.quotas,
        chosen=plan.chosen,
        note=plan.note,
        created_at=plan.created_at,
        approved_at=plan.approved_at,
        drawn_at=plan.drawn_at,
    )


@router.post(
    "/v1/inspection-plans",
    status_code=status.HTTP_201_CREATED,
    response_model=PlanOut,
    responses=responses(401, 403, 404, 422),
)
async def create_plan(
    actor: Regulator, body: PlanCreate, session: SessionDep, now: NowDep, response: Response
) -> PlanOut:
    """Create a double-random spot-check plan (draft): scope, period, ratios, cap, inspectors (regulator)."""
    plan = await plans.create_plan(session, data=body, actor=actor, now=now)
    response.headers["Location"] = f"/v1/inspection-plans/{plan.id}"
    return plan_view(plan)


@router.get("/v1/inspection-plans", response_model=Page[PlanOut], responses=responses(401, 403, 422))
async def list_plans(
    actor: Regulator,
    session: SessionDep,
    plan_status: Annotated[
        str | None, Query(alias="status", pattern=r"^(draft|approved|drawn|closed)$")
    ] = None,
    cursor: TimeAndIdCursor = None,
    limit: LimitQuery = 20,
) -> Page[PlanOut]:
    """Plans, newest first (regulator)."""
    rows = await plans.list_plans(session, status=plan_status, after=time_and_id_after(cursor), limit=limit)
    next_cursor = (
        encode_cursor(rows[-1].created_at.isoformat(), str(rows[-1].id)) if len(rows) == limit else None
    )
    return Page[PlanOut](items=[plan_view(p) for p in rows], next_cursor=next_cursor)


@router.get("/v1/inspection-plans/{plan_id}", response_model=PlanOut, responses=responses(401, 403, 404, 422))
async def read_plan(actor: Regulator, plan_id: uuid.UUID, session: SessionDep) -> PlanOut:
    """One plan: its commitment (seed hash), and once drawn the seed and the drawn codes (regulator)."""
    return plan_view(await plans.get_plan(session, plan_id))


@router.post(
    "/v1/inspection-plans/{plan_id}/approval",
    response_model=PlanOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def approve_plan(actor: Regulator, plan_id: uuid.UUID, session: SessionDep, now: NowDep) -> PlanOut:
    """Approve: freeze candidates and quotas, publish the SHA-256 of a server seed (regulator)."""
    return plan_view(await plans.approve(session, plan_id=plan_id, actor=actor, now=now))


@router.post(
    "/v1/inspection-plans/{plan_id}/draw",
    response_model=PlanOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def draw_plan(actor: Regulator, plan_id: uuid.UUID, session: SessionDep, now: NowDep) -> PlanOut:
    """Reveal the seed, draw per class, make tasks with at least two inspectors each (regulator)."""
    return plan_view(await plans.draw(session, plan_id=plan_id, actor=actor, now=now))


@router.get(
    "/v1/inspection-plans/{plan_id}/candidates",
    response_model=PlanCandidates,
    responses=responses(401, 403, 404, 422),
)
async def plan_candidates(
    actor: OptionalPrincipalDep, plan_id: uuid.UUID, session: SessionDep
) -> PlanCandidates:
    """Frozen candidates with their strata, quotas, seed: public once drawn, to re-run the draw (一公开).

    Before the draw only a regulator sees them (the seed is still secret). What is published is what
    the recomputation needs: each candidate's code and stratum (its risk class when frozen).
    """
    plan = await plans.get_plan(session, plan_id)
    commit_reveal.ensure_may_read_candidates(actor, revealed=plan.status in ("drawn", "closed"))
    await session.refresh(plan, ["candidates"])
    return PlanCandidates(
        plan_id=plan.id,
        method=plan.method,
        seed_sha256=plan.seed_sha256,
        seed=plan.seed if plan.status in ("drawn", "closed") else None,
        quotas=plan.quotas,
        candidates_sha256=plan.candidates_sha256,
        candidates=[Candidate.model_validate(c) for c in plan.candidates or []],
        chosen=plan.chosen,
    )
