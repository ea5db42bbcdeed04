"""Reward rules in action: the claim secret, the outcome and its assessment, four eyes, claim, payment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.common.pagination import keyset_after
from services.complaints.cases import service as cases
from services.complaints.cases.models import Complaint
from services.complaints.notifications import service as notifications
from services.complaints.rewards import claim_secret
from services.complaints.rewards.models import ClaimSecret, Reward
from services.complaints.rewards.rules import Outcome, RewardRules, amount, assess, load_rules
from services.complaints.rewards.schemas import ApprovalCreate, OutcomeCreate

CONCLUDED = frozenset({"substantiated", "unsubstantiated", "rejected", "closed"})
# The same answer for an unknown code, a wrong secret and no reward: a guess learns nothing.
NO_CLAIM = "no reward to claim with this tracking code and claim secret"


def fen(yuan: Decimal) -> int:
    return int((yuan * 100).to_integral_value())


def yuan(value: int | None) -> Decimal | None:
    return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


async def issue_claim_secret(session: AsyncSession, *, complaint: Complaint, now: datetime) -> str | None:
    """A real-name report gets a claim secret, returned once; only its hash is kept."""
    if complaint.kind != "report" or complaint.anonymous:
        return None
    secret = claim_secret.new_secret()
    session.add(
        ClaimSecret(
            complaint_id=complaint.id, secret_hash=await claim_secret.hash_secret(secret), created_at=now
        )
    )
    await session.flush()
    return secret


async def of_complaint(
    session: AsyncSession, complaint_id: Any, *, for_update: bool = False
) -> Reward | None:
    statement = select(Reward).where(Reward.complaint_id == complaint_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def get(session: AsyncSession, reward_id: Any, *, for_update: bool = False) -> Reward:
    statement = select(Reward).where(Reward.id == reward_id)
    if for_update:
        statement = statement.with_for_update()
    reward = (await session.execute(statement)).scalar_one_or_none()
    if reward is None:
        raise NotFound(f"no reward {reward_id}")
    return reward


async def record_outcome(
    session: AsyncSession, *, complaint_id: Any, data: OutcomeCreate, actor: Principal, now: datetime
) -> Reward:
    """The handler records what the case led to; the service decides eligibility and proposes the amount."""
    rules = load_rules()
    complaint = await cases.get(session, complaint_id, for_update=True)
    if complaint.status not in CONCLUDED:
        raise Conflict(
            f"the case is {complaint.status}: record the outcome once it is concluded",
            current_status=complaint.status,
        )
    if await of_complaint(session, complaint.id) is not None:
        raise Conflict("the outcome of this case is already recorded")
    facts = data.reporter.model_dump()
    outcome = Outcome(
        kind=complaint.kind,
        substantiated=complaint.finding_severity is not None
        and complaint.status in ("substantiated", "closed"),
        anonymous=complaint.anonymous,
        violator_type=data.violator_type,
        fines=data.fines,
        confiscations=data.confiscations,
        measures=frozenset(data.measures),
        referred_for_prosecution=data.referred_for_prosecution,
        natural_person=data.reporter.natural_person,
        facts={code: bool(facts[code]) for code in rules.exclusions},
        insider=data.reporter.insider,
    )
    checks = assess(rules, outcome)
    eligible = all(c.passed for c in checks)
    proposed, calculation = (
        amount(rules, level=data.evidence_level, base=outcome.base) if eligible else (None, None)
    )
    reward = Reward(
        complaint_id=complaint.id,
        rules_version=rules.version,
        decision_no=data.decision_no,
        fines_fen=fen(data.fines),
        confiscations_fen=fen(data.confiscations),
        measures=sorted(data.measures),
        referred_for_prosecution=data.referred_for_prosecution,
        violator_type=data.violator_type,
        evidence_level=data.evidence_level,
        facts=facts,
        checks=[{"code": c.code, "passed": c.passed, "reason": c.reason} for c in checks],
        eligible=eligible,
        proposed_fen=fen(proposed) if proposed is not None else None,
        calculation=calculation,
        needs_finance=bool(proposed is not None and rules.needs_finance(proposed, raised=False)),
        status="proposed" if eligible else "ineligible",
        recorded_by=actor.actor,
        recorded_at=now,
        updated_at=now,
    )
    session.add(reward)
    await session.flush()
    return reward


def _four_eyes(reward: Reward, actor: Principal, step: str) -> None:
    if actor.actor == reward.recorded_by:
        raise Forbidden(
            f"four eyes: the {step} must come from a handler other than the one who recorded the outcome"
            f" ({reward.recorded_by})"
        )


def _checked_amount(rules: RewardRules, reward: Reward, requested: Decimal | None) -> tuple[Decimal, bool]:
    proposed = yuan(reward.proposed_fen)
    assert proposed is not None
    if requested is None or requested == proposed:
        return proposed, False
    minimum = rules.levels[reward.evidence_level].minimum
    if requested > proposed and not reward.facts.get("insider"):
        raise Unprocessable(
            "amount: only an insider's reward may be raised above the rules' amount", field="amount"
        )
    if requested > rules.cap or requested < minimum:
        raise Unprocessable(f"amount: must lie between {minimum} and the cap {rules.cap}", field="amount")
    return requested, requested > proposed


async def decide(
    session: AsyncSession, *, reward_id: Any, data: ApprovalCreate, actor: Principal, ctx: Any
) -> Reward:
    """Second person's decision; large (or raised) awards then wait for the finance department."""
    rules = load_rules()
    reward = await get(session, reward_id, for_update=True)
    if reward.status != "proposed":
        raise Conflict(f"the reward is {reward.status}, not proposed", current_status=reward.status)
    _four_eyes(reward, actor, "approval")
    reward.approved_by, reward.approved_at, reward.approval_note = actor.actor, ctx.now, data.note
    reward.updated_at = ctx.now
    if data.decision == "reject":
        reward.status = "rejected"
        await session.flush()
        return reward
    value, raised = _checked_amount(rules, reward, data.amount)
    reward.amount_fen = fen(value)
    reward.needs_finance = rules.needs_finance(value, raised=raised)
    if reward.needs_finance:
        reward.status = "awaiting_finance"
        await session.flush()
        return reward
    await _announce(session, reward, rules, ctx)
    return reward


async def finance(
    session: AsyncSession, *, reward_id: Any, finance_ref: str, actor: Principal, ctx: Any
) -> Reward:
    """The finance department's agreement, recorded by a handler other than the one who proposed it."""
    reward = await get(session, reward_id, for_update=True)
    if reward.status != "awaiting_finance":
        raise Conflict(f"the reward is {reward.status}, not awaiting_finance", current_status=reward.status)
    _four_eyes(reward, actor, "finance step")
    reward.finance_by, reward.finance_ref, reward.finance_at = actor.actor, finance_ref, ctx.now
    await _announce(session, reward, load_rules(), ctx)
    return reward


async def _announce(session: AsyncSession, reward: Reward, rules: RewardRules, ctx: Any) -> None:
    """Approved: the claim period starts and the reporter is told through the contact they gave."""
    complaint = await cases.get(session, reward.complaint_id)
    reward.status = "approved"
    reward.claim_due_at = ctx.calendar.deadline(ctx.now, rules.claim_period_working_days)
    reward.updated_at = ctx.now
    await notifications.enqueue(
        session,
        complaint=complaint,
        kind="reward_available",
        now=ctx.now,
        calendar=ctx.calendar,
        vault=ctx.vault,
        fields={"amount": yuan(reward.amount_fen), "claim_by": reward.claim_due_at.date().isoformat()},
    )
    await session.flush()


def public_status(reward: Reward, now: datetime) -> str | None:
    if reward.status == "approved" and reward.claim_due_at is not None and now > reward.claim_due_at:
        return "expired"
    return reward.status if reward.status in ("approved", "claimed", "paid") else None


async def claim(session: AsyncSession, *, tracking_code: str, secret: str, now: datetime) -> Reward:
    """The reporter claims with the tracking code and the secret shown at intake, within the period."""
    try:
        complaint = await cases.by_tracking_code(session, tracking_code)
    except NotFound:
        raise NotFound(NO_CLAIM) from None
    stored = await session.get(ClaimSecret, complaint.id)
    reward = await of_complaint(session, complaint.id, for_update=True)
    if stored is None or not await claim_secret.verify(secret, stored.secret_hash):
        raise NotFound(NO_CLAIM)
    if reward is None or public_status(reward, now) is None:
        raise NotFound(NO_CLAIM)
    if public_status(reward, now) == "expired":
        raise Conflict("the claim period has ended", claim_by=reward.claim_due_at.isoformat())  # type: ignore[union-attr]
    if reward.status == "approved":
        reward.status, reward.claimed_at, reward.updated_at = "claimed", now, now
        await session.flush()
    return reward


async def pay(
    session: AsyncSession, *, reward_id: Any, payment_ref: str, actor: Principal, now: datetime
) -> Reward:
    reward = await get(session, reward_id, for_update=True)
    if reward.status != "claimed":
        raise Conflict(
            f"the reward is {reward.status}; only a claimed reward is paid", current_status=reward.status
        )
    reward.status, reward.paid_by, reward.payment_ref, reward.paid_at = "paid", actor.actor, payment_ref, now
    reward.updated_at = now
    await session.flush()
    return reward


async def search(
    session: AsyncSession, *, status: str | None, after: tuple[str, str] | None, limit: int
) -> Sequence[Reward]:
    statement = select(Reward).order_by(Reward.recorded_at.desc(), Reward.id.desc()).limit(limit)
    if status:
        statement = statement.where(Reward.status == status)
    if after is not None:
        statement = statement.where(keyset_after(Reward.recorded_at, Reward.id, after))
    return (await session.execute(statement)).scalars().all()


async def statistics(session: AsyncSession, *, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """Rewards proposed, approved, claimed and paid in the period: how many, and how much (yuan)."""
    steps: dict[str, tuple[Any, Any, Any]] = {
        "proposed": (Reward.recorded_at, Reward.eligible.is_(True), Reward.proposed_fen),
        "approved": (Reward.approved_at, Reward.amount_fen.is_not(None), Reward.amount_fen),
        "claimed": (Reward.claimed_at, Reward.claimed_at.is_not(None), Reward.amount_fen),
        "paid": (Reward.paid_at, Reward.paid_at.is_not(None), Reward.amount_fen),
    }
    out: dict[str, dict[str, Any]] = {}
    for step, (at, condition, value) in steps.items():
        statement = select(func.count(), func.coalesce(func.sum(value), 0)).where(
            condition, at >= start, at < end
        )
        count, total = (await session.execute(statement)).one()
        out[step] = {"count": int(count), "amount": yuan(int(total or 0))}
    return out
