"""Inspection tasks through the spot-check procedure, and the credit consequence of the final result.

sampled → tested (pass: final at once; fail: the enterprise is told and may object within the window)
→ objection → retested (the retest is final) | final once the window has passed without an objection.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.db import by_id
from services.common.errors import Conflict, NotFound, Unprocessable
from services.common.workdays import load_calendar
from services.registry.credit import service as credit
from services.registry.credit.rules import RuleSet
from services.registry.credit.schemas import CreditEventCreate
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work as events
from services.registry.events.domain import SupervisionRecorded
from services.registry.supervision.models import InspectionPlan, InspectionTask
from services.registry.supervision.rules import load_rules
from services.registry.supervision.schemas import ResultStep

# Which step may follow which status.
ALLOWED = {
    "sampled": {"assigned"},
    "tested": {"sampled"},
    "objection": {"tested"},
    "retested": {"objection"},
    "final": {"tested"},
}


def source_ref(task: InspectionTask) -> str:
    """The credit event's idempotency key: the task."""
    return f"inspection-task:{task.id}"


async def get_task(session: AsyncSession, task_id: uuid.UUID, *, for_update: bool = False) -> InspectionTask:
    task = await by_id(session, InspectionTask, task_id, for_update=for_update)
    if task is None:
        raise NotFound(f"no inspection task {task_id}")
    return task


async def list_tasks(
    session: AsyncSession, *, plan_id: uuid.UUID | None, uscc: str | None, after: str | None, limit: int
) -> Sequence[InspectionTask]:
    statement = select(InspectionTask).order_by(InspectionTask.id).limit(limit)
    if plan_id:
        statement = statement.where(InspectionTask.plan_id == plan_id)
    if uscc:
        statement = statement.where(InspectionTask.uscc == uscc)
    if after:
        statement = statement.where(InspectionTask.id > uuid.UUID(after))
    return (await session.execute(statement)).scalars().all()


async def record_step(
    session: AsyncSession,
    *,
    task_id: uuid.UUID,
    data: ResultStep,
    actor: Principal,
    rules: RuleSet,
    now: datetime,
) -> InspectionTask:
    task = await get_task(session, task_id, for_update=True)
    if task.status not in ALLOWED[data.step]:
        raise Conflict(
            f"task {task_id} is {task.status}; {data.step} is not the next step", current_state=task.status
        )
    at = data.at or now
    if at > now + timedelta(minutes=5):
        raise Unprocessable(
            "at: is in the future", errors=[{"field": "at", "in": "body", "message": "future"}]
        )
    supervision = load_rules()
    if data.step == "sampled":
        task.sample_ref, task.sampled_at = data.sample_ref, at
        task.product = data.product or task.product
        task.category = data.category or task.category
        task.status = "sampled"
    elif data.step == "tested":
        task.test_result, task.tested_at, task.findings = data.result, at, data.findings
        task.severity = data.severity or ("major" if data.result == "fail" else None)
        task.status = "tested"
        if data.result == "pass":
            await _finalise(session, task, "pass", actor=actor, rules=rules, now=now)
        else:
            # 产品质量监督抽查管理暂行办法第三十六条: fifteen days to object (see supervision_rules.toml).
            task.objection_due_at = at + timedelta(days=supervision.objection_days)
    elif data.step == "objection":
        if task.test_result != "fail":
            raise Conflict("only a failed test can be objected to")
        assert task.objection_due_at is not None
        if at > task.objection_due_at:
            raise Conflict(f"the objection window closed at {task.objection_due_at.isoformat()}")
        task.objection, task.status = data.objection, "objection"
    elif data.step == "retested":
        task.retest_result = data.result
        # 产品质量监督抽查管理暂行办法第四十二条: "复检结论为最终结论。"
        await _finalise(session, task, data.result or "fail", actor=actor, rules=rules, now=now)
    else:  # final, from a failed test whose objection window passed unused
        if task.test_result != "fail" or task.objection_due_at is None or now <= task.objection_due_at:
            raise Conflict("a failed test becomes final once its objection window has passed")
        await _finalise(session, task, "fail", actor=actor, rules=rules, now=now)
    task.updated_at = now
    await session.flush()
    return task


async def _finalise(
    session: AsyncSession,
    task: InspectionTask,
    result: str,
    *,
    actor: Principal,
    rules: RuleSet,
    now: datetime,
) -> None:
    supervision = load_rules()
    task.final_result, task.finalised_at, task.status = result, now, "final"
    # 企业公示信息抽查办法第十二条: recorded (and published) within 20 working days of the check's end.
    task.publish_due_at = load_calendar().deadline(now, supervision.publish_within_working_days)
    plan = await session.get(InspectionPlan, task.plan_id)
    assert plan is not None
    if result == "fail":
        recorded = await credit.record_event(
            session,
            uscc=task.uscc,
            data=CreditEventCreate(
                kind="spot_check_failed",
                severity=task.severity or "major",  # type: ignore[arg-type]
                authority=plan.authority,
                source_ref=source_ref(task),
                occurred_at=task.tested_at or now,
                summary=f"{plan.title}: {task.product or task.category or ''} 监督抽查不合格".strip(),
            ),
            actor=actor,
            rules=rules,
            now=now,
        )
        task.credit_event_id = recorded.event.id
    else:
        events.record(
            session,
            SupervisionRecorded(
                actor=actor.actor,
                action="inspection.passed",
                uscc=task.uscc,
                subject=str(task.id),
                at=now,
                details={"plan_id": str(plan.id), "product": task.product, "source_ref": source_ref(task)},
            ),
        )


async def published_results(session: AsyncSession, plan_id: uuid.UUID) -> list[tuple[InspectionTask, str]]:
    """Final results of a plan with the enterprise names: what 一公开 publishes."""
    rows = (
        await session.execute(
            select(InspectionTask, Enterprise.name)
            .join(Enterprise, Enterprise.uscc == InspectionTask.uscc)
            .where(InspectionTask.plan_id == plan_id, InspectionTask.status == "final")
            .order_by(InspectionTask.uscc)
        )
    ).all()
    return [(t, name) for t, name in rows]
