"""Inspection plans: create, approve (commit to a seed, freeze candidates and quotas), draw (reveal).

The draw is the registry's one commit-reveal draw (`draws.commit_reveal`), stratified by risk class:
from each class, `quotas[class]` candidates with the smallest SHA-256("<seed>:<uscc>") win.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.db import one_connection_per_node
from services.common.errors import Conflict, NotFound, Unprocessable
from services.common.pagination import keyset_after
from services.registry.draws import commit_reveal
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work as events
from services.registry.events.domain import SupervisionRecorded
from services.registry.supervision import assignment, classes
from services.registry.supervision.models import InspectionPlan, InspectionTask, Inspector, RiskClass
from services.registry.supervision.rules import SupervisionRules, load_catalogue, load_rules
from services.registry.supervision.schemas import PlanCreate


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(f"{field}: {message}", errors=[{"field": field, "in": "body", "message": message}])


async def create_plan(
    session: AsyncSession,
    *,
    data: PlanCreate,
    actor: Principal,
    now: datetime,
    kind: str = "random",
    targets: Sequence[str] = (),
    warning_id: uuid.UUID | None = None,
) -> InspectionPlan:
    await one_connection_per_node(session)  # a reference table written (after reads, for a warning's)
    if data.period_end < data.period_start:  # one field against another: no schema states it
        raise _invalid("period_end", "is before period_start")
    rules = load_rules()
    catalogue = load_catalogue()
    unknown = [c for c in data.categories if catalogue.get(c) is None]
    if unknown:
        raise _invalid(
            "categories", f"not in the product catalogue {catalogue.version}: {', '.join(unknown)}"
        )
    pool = (
        await session.execute(select(Inspector.id).where(Inspector.id.in_(data.inspector_pool)))
    ).scalars()
    missing = set(data.inspector_pool) - set(pool)
    if missing:
        # Well-formed ids of no inspector on file: 404, as a path would answer.
        raise NotFound(f"inspector_pool: no inspectors {', '.join(sorted(map(str, missing)))}")
    ratios = {c: str(r) for c, r in rules.ratios.items()}
    if data.ratios:
        ratios.update({c: str(r) for c, r in data.ratios.items()})
    if kind == "directed":  # a special (专项) check of the enterprises behind a warning: all of them
        ratios = dict.fromkeys(rules.classes, "1")
    plan = InspectionPlan(
        id=uuid.uuid4(),
        title=data.title,
        kind=kind,
        status="draft",
        authority=data.authority,
        region=data.region,
        categories=[catalogue.get(c).name for c in data.categories],  # type: ignore[union-attr]
        statuses=list(data.statuses),
        targets=list(targets),
        period_start=data.period_start,
        period_end=data.period_end,
        ratios=ratios,
        cap=data.cap,
        inspector_pool=[str(i) for i in data.inspector_pool],
        warning_id=warning_id,
        rules_version=rules.version,
        note=data.note,
        created_at=now,
        created_by=actor.actor,
    )
    session.add(plan)
    await session.flush()
    return plan


async def get_plan(session: AsyncSession, plan_id: uuid.UUID, *, for_update: bool = False) -> InspectionPlan:
    statement = select(InspectionPlan).where(InspectionPlan.id == plan_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    plan = (await session.execute(statement)).scalar_one_or_none()
    if plan is None:
        raise NotFound(f"no inspection plan {plan_id}")
    return plan


async def list_plans(
    session: AsyncSession, *, status: str | None, after: tuple[str, str] | None, limit: int
) -> Sequence[InspectionPlan]:
    statement = (
        select(InspectionPlan)
        .order_by(InspectionPlan.created_at.desc(), InspectionPlan.id.desc())
        .limit(limit)
    )
    if status:
        statement = statement.where(InspectionPlan.status == status)
    if after is not None:
        statement = statement.where(keyset_after(InspectionPlan.created_at, InspectionPlan.id, after))
    return (await session.execute(statement)).scalars().all()


async def _candidates(
    session: AsyncSession, plan: InspectionPlan, rules: SupervisionRules, now: datetime
) -> list[dict[str, str]]:
    """Enterprises in scope with their current risk class, A-class ones at rest left out."""
    statement = select(Enterprise.uscc).where(Enterprise.status.in_(plan.statuses)).order_by(Enterprise.uscc)
    if plan.region:
        statement = statement.where(Enterprise.division.startswith(plan.region, autoescape=True))
    if plan.targets:
        statement = statement.where(Enterprise.uscc.in_(plan.targets))
    codes = list((await session.execute(statement)).scalars())
    stored = (
        {
            r.uscc: r
            for r in (await session.execute(select(RiskClass).where(RiskClass.uscc.in_(codes)))).scalars()
        }
        if codes
        else {}
    )
    result = []
    for code in codes:
        risk = stored.get(code) or await classes.refresh(session, uscc=code, now=now)
        assert risk is not None
        if plan.categories and not plan.targets and not set(plan.categories) & set(risk.categories):
            continue
        rest = rules.rest_days.get(risk.risk_class)
        if (
            rest
            and plan.kind == "random"
            and await _inspected_since(session, code, now - timedelta(days=rest))
        ):
            continue
        result.append({"uscc": code, "risk_class": risk.risk_class})
    return result


async def _inspected_since(session: AsyncSession, uscc: str, since: datetime) -> bool:
    statement = (
        select(InspectionTask.id)
        .where(InspectionTask.uscc == uscc, InspectionTask.updated_at >= since)
        .limit(1)
    )
    return (await session.execute(statement)).first() is not None


def quotas_for(
    counts: dict[str, int], ratios: dict[str, str], *, cap: int | None, rules: SupervisionRules, kind: str
) -> dict[str, int]:
    """How many to draw per class: ceil(ratio × count), at least the overall floor, at most the cap."""
    quotas = {c: min(n, math.ceil(Decimal(ratios[c]) * n)) for c, n in counts.items()}
    total = sum(counts.values())
    floor = math.ceil(rules.min_overall_ratio * total) if kind == "random" else 0
    if cap is not None and cap < floor:
        raise _invalid("cap", f"{cap} is below {rules.min_overall_ratio:%} of {total} candidates ({floor})")
    riskiest_first = [c for c in reversed(rules.classes) if c in counts]
    while sum(quotas.values()) < floor:  # top up from the riskiest class with candidates left
        c = next(c for c in riskiest_first if quotas[c] < counts[c])
        quotas[c] += 1
    while cap is not None and sum(quotas.values()) > cap:  # trim from the lowest-risk class first
        c = next(c for c in reversed(riskiest_first) if quotas[c] > 0)
        quotas[c] -= 1
    return quotas


async def approve(
    session: AsyncSession, *, plan_id: uuid.UUID, actor: Principal, now: datetime
) -> InspectionPlan:
    """Freeze candidates and quotas and commit to a server seed: only its SHA-256 is published."""
    await one_connection_per_node(session)  # many shards read, then a reference table written
    plan = await get_plan(session, plan_id, for_update=True)
    if plan.status != "draft":
        raise Conflict(
            f"plan {plan_id} is {plan.status}; only a draft can be approved", current_state=plan.status
        )
    rules = load_rules()
    candidates = await _candidates(session, plan, rules, now)
    counts = dict.fromkeys(rules.classes, 0)
    for c in candidates:
        counts[c["risk_class"]] += 1
    plan.quotas = quotas_for(counts, plan.ratios, cap=plan.cap, rules=rules, kind=plan.kind)
    seed = commit_reveal.new_seed()
    plan.method = commit_reveal.METHOD
    plan.seed = seed
    plan.seed_sha256 = commit_reveal.seed_digest(seed)
    plan.candidates = candidates
    plan.candidate_count = len(candidates)
    plan.candidates_sha256 = commit_reveal.candidates_digest(
        f"{c['uscc']}:{c['risk_class']}" for c in candidates
    )
    plan.status = "approved"
    plan.approved_at = now
    plan.approved_by = actor.actor
    await session.flush()
    events.record(
        session,
        SupervisionRecorded(
            actor=actor.actor,
            action="inspection_plan.approved",
            uscc=None,
            subject=str(plan.id),
            at=now,
            details={
                "seed_sha256": plan.seed_sha256,
                "candidates_sha256": plan.candidates_sha256,
                "candidate_count": plan.candidate_count,
                "quotas": plan.quotas,
            },
        ),
    )
    return plan


def chosen_from(seed: str, candidates: list[dict[str, str]], quotas: dict[str, int]) -> list[str]:
    strata: dict[str, list[str]] = {}
    for c in candidates:
        strata.setdefault(c["risk_class"], []).append(c["uscc"])
    drawn = commit_reveal.draw_strata(seed, strata, quotas)
    return [code for _, codes in sorted(drawn.items()) for code in codes]


async def draw(
    session: AsyncSession, *, plan_id: uuid.UUID, actor: Principal, now: datetime
) -> InspectionPlan:
    """Reveal the seed, draw, and make a task with its inspectors for each drawn enterprise."""
    await one_connection_per_node(session)
    plan = await get_plan(session, plan_id, for_update=True)
    if plan.status != "approved":
        raise Conflict(
            f"plan {plan_id} is {plan.status}; only an approved plan is drawn", current_state=plan.status
        )
    await session.refresh(plan, ["candidates"])
    assert plan.seed is not None and plan.candidates is not None and plan.quotas is not None
    chosen = chosen_from(plan.seed, plan.candidates, plan.quotas)
    classes_of = {c["uscc"]: c["risk_class"] for c in plan.candidates}
    rules = load_rules()
    for code in chosen:
        task = InspectionTask(
            id=uuid.uuid4(),
            plan_id=plan.id,
            uscc=code,
            risk_class=classes_of[code],
            inspectors=[],
            status="assigned",
            category=plan.categories[0] if len(plan.categories) == 1 else None,
            updated_at=now,
        )
        session.add(task)
        await session.flush()
        await assignment.assign(session, task=task, plan=plan, rules=rules, now=now)
    plan.chosen = chosen
    plan.status = "drawn"
    plan.drawn_at = now
    plan.drawn_by = actor.actor
    await session.flush()
    events.record(
        session,
        SupervisionRecorded(
            actor=actor.actor,
            action="inspection_plan.drawn",
            uscc=None,
            subject=str(plan.id),
            at=now,
            details={"seed": plan.seed, "seed_sha256": plan.seed_sha256, "chosen": chosen},
        ),
    )
    return plan
