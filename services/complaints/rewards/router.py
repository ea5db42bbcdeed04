"""Reward endpoints: the handlers' outcome, decision, finance and payment steps; the public claim."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import NotFound, responses
from services.common.pagination import (
    LimitQuery,
    Page,
    TimeAndIdCursor,
    encode_cursor,
    time_and_id_after,
)
from services.common.ratelimit import rate_limited
from services.common.roles import Role
from services.complaints.dependencies import ContextDep
from services.complaints.rewards import service
from services.complaints.rewards.models import Reward
from services.complaints.rewards.rules import RULES_FILE, load_rules
from services.complaints.rewards.schemas import (
    ApprovalCreate,
    Check,
    ClaimCreate,
    FinanceCreate,
    OutcomeCreate,
    PaymentCreate,
    RewardOut,
    RewardPublic,
    RewardStatus,
)

handlers = APIRouter(tags=["rewards"])
public = APIRouter(tags=["public"])
Handler = Annotated[Principal, Depends(require_roles(Role.handler))]


def out(r: Reward) -> RewardOut:
    return RewardOut(
        id=r.id,
        complaint_id=r.complaint_id,
        rules_version=r.rules_version,
        status=r.status,
        eligible=r.eligible,
        checks=[Check(**c) for c in r.checks],
        decision_no=r.decision_no,
        fines=service.yuan(r.fines_fen),  # type: ignore[arg-type]
        confiscations=service.yuan(r.confiscations_fen),  # type: ignore[arg-type]
        measures=r.measures,
        referred_for_prosecution=r.referred_for_prosecution,
        violator_type=r.violator_type,
        evidence_level=r.evidence_level,
        proposed_amount=service.yuan(r.proposed_fen),
        calculation=r.calculation,
        amount=service.yuan(r.amount_fen),
        needs_finance=r.needs_finance,
        recorded_by=r.recorded_by,
        recorded_at=r.recorded_at,
        approved_by=r.approved_by,
        approved_at=r.approved_at,
        finance_by=r.finance_by,
        finance_ref=r.finance_ref,
        claim_due_at=r.claim_due_at,
        claimed_at=r.claimed_at,
        paid_at=r.paid_at,
        payment_ref=r.payment_ref,
    )


def public_answer(r: Reward, now: Any) -> RewardPublic | None:
    shown = service.public_status(r, now)
    if shown is None:
        return None
    return RewardPublic(status=shown, amount=service.yuan(r.amount_fen), claim_by=r.claim_due_at)  # type: ignore[arg-type]


async def tracking_view(session: SessionDep, complaint_id: uuid.UUID, now: Any) -> RewardPublic | None:
    """For the public tracking answer: amount and status once approved, else nothing."""
    reward = await service.of_complaint(session, complaint_id)
    return None if reward is None else public_answer(reward, now)


@handlers.post(
    "/v1/complaints/{complaint_id}/reward",
    status_code=status.HTTP_201_CREATED,
    response_model=RewardOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def record_outcome(
    actor: Handler, complaint_id: uuid.UUID, body: OutcomeCreate, session: SessionDep, ctx: ContextDep
) -> RewardOut:
    """Record the outcome of the case a report led to; answers eligibility and the amount (handler)."""
    return out(
        await service.record_outcome(session, complaint_id=complaint_id, data=body, actor=actor, now=ctx.now)
    )


@handlers.get(
    "/v1/complaints/{complaint_id}/reward", response_model=RewardOut, responses=responses(401, 403, 404, 422)
)
async def read_reward_of_complaint(actor: Handler, complaint_id: uuid.UUID, session: SessionDep) -> RewardOut:
    """The reward case of a complaint: checks, amount, approvals, claim and payment (handler)."""
    reward = await service.of_complaint(session, complaint_id)
    if reward is None:
        raise NotFound(f"no reward recorded for complaint {complaint_id}")
    return out(reward)


@handlers.get("/v1/rewards", response_model=Page[RewardOut], responses=responses(401, 403, 422))
async def list_rewards(
    actor: Handler,
    session: SessionDep,
    status_: Annotated[RewardStatus | None, Query(alias="status")] = None,
    cursor: TimeAndIdCursor = None,
    limit: LimitQuery = 50,
) -> Page[RewardOut]:
    """Reward cases, newest first, by status (handler)."""
    after = time_and_id_after(cursor)
    rows = await service.search(session, status=status_, after=after, limit=limit)
    last = rows[-1] if len(rows) == limit else None
    next_cursor = encode_cursor(last.recorded_at.isoformat(), str(last.id)) if last else None
    return Page[RewardOut](items=[out(r) for r in rows], next_cursor=next_cursor)


@handlers.post(
    "/v1/rewards/{reward_id}/decision", response_model=RewardOut, responses=responses(401, 403, 404, 409, 422)
)
async def decide_reward(
    actor: Handler, reward_id: uuid.UUID, body: ApprovalCreate, session: SessionDep, ctx: ContextDep
) -> RewardOut:
    """Approve or reject a proposed reward: a second handler, never the one who recorded it (handler)."""
    return out(await service.decide(session, reward_id=reward_id, data=body, actor=actor, ctx=ctx))


@handlers.post(
    "/v1/rewards/{reward_id}/finance", response_model=RewardOut, responses=responses(401, 403, 404, 409, 422)
)
async def record_finance(
    actor: Handler, reward_id: uuid.UUID, body: FinanceCreate, session: SessionDep, ctx: ContextDep
) -> RewardOut:
    """Record the finance department's agreement to a large award (handler)."""
    return out(
        await service.finance(
            session, reward_id=reward_id, finance_ref=body.finance_ref, actor=actor, ctx=ctx
        )
    )


@handlers.post(
    "/v1/rewards/{reward_id}/payment", response_model=RewardOut, responses=responses(401, 403, 404, 409, 422)
)
async def record_payment(
    actor: Handler, reward_id: uuid.UUID, body: PaymentCreate, session: SessionDep, ctx: ContextDep
) -> RewardOut:
    """Record that a claimed reward was paid (handler)."""
    return out(
        await service.pay(
            session, reward_id=reward_id, payment_ref=body.payment_ref, actor=actor, now=ctx.now
        )
    )


@public.post(
    "/v1/rewards/claims",
    response_model=RewardPublic,
    dependencies=[Depends(rate_limited("claim"))],
    responses=responses(404, 409, 422, 429),
)
async def claim_reward(body: ClaimCreate, session: SessionDep, ctx: ContextDep) -> RewardPublic:
    """Claim a reward with the tracking code and the claim secret shown at intake (public)."""
    reward = await service.claim(
        session, tracking_code=body.tracking_code, secret=body.claim_secret, now=ctx.now
    )
    answer = public_answer(reward, ctx.now)
    assert answer is not None
    return answer


@public.get("/v1/reward-rules", responses=responses())
async def reward_rules() -> dict[str, Any]:
    """The reward rules in force, each number with how well it is confirmed (public)."""
    rules = load_rules()
    return {
        "version": rules.version,
        "file": RULES_FILE.name,
        "levels": [
            {"level": x.level, "percent": str(x.percent), "minimum": str(x.minimum)}
            for x in rules.levels.values()
        ],
        "cap": str(rules.cap),
        "finance_step_from": str(rules.finance_step_from),
        "claim_period_working_days": rules.claim_period_working_days,
        "exclusions": rules.exclusions,
        "confirmation": rules.confirmation,
    }
