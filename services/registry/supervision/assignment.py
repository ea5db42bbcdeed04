"""Choosing the inspectors of a task at random (随机选派), reproducibly from the plan's seed.

Eligible: in the plan's pool, active, working in the enterprise's region (the inspector's region is a
prefix of the enterprise's division code), and not sent to this enterprise within the rotation
period. Specialists in the task's category come first; within each group the smallest
SHA-256("<seed>:<task uscc>:<inspector id>") wins (the same ranking as the draw).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import Conflict
from services.registry.draws import commit_reveal
from services.registry.enterprises.models import Enterprise
from services.registry.supervision.models import InspectionPlan, InspectionTask, Inspector, TaskInspector
from services.registry.supervision.rules import SupervisionRules


async def assign(
    session: AsyncSession,
    *,
    task: InspectionTask,
    plan: InspectionPlan,
    rules: SupervisionRules,
    now: datetime,
) -> list[uuid.UUID]:
    enterprise = await session.get(Enterprise, task.uscc)
    assert enterprise is not None and plan.seed is not None
    recent = set(
        (
            await session.execute(
                select(TaskInspector.inspector_id).where(
                    TaskInspector.uscc == task.uscc,
                    TaskInspector.assigned_at > now - timedelta(days=rules.inspector_rotation_days),
                )
            )
        ).scalars()
    )
    pool = (
        await session.execute(
            select(Inspector).where(
                Inspector.id.in_([uuid.UUID(i) for i in plan.inspector_pool]), Inspector.active.is_(True)
            )
        )
    ).scalars()
    eligible = [i for i in pool if enterprise.division.startswith(i.region) and i.id not in recent]
    if len(eligible) < rules.min_inspectors:
        # 企业公示信息抽查办法第九条, 产品质量监督抽查管理暂行办法第十六条: two at least (rules file).
        raise Conflict(
            f"only {len(eligible)} eligible inspectors for {task.uscc} (region, rotation); "
            f"at least {rules.min_inspectors} are required",
            uscc=task.uscc,
        )
    wanted = set(plan.categories)

    def rank(i: Inspector) -> tuple[bool, str]:
        return (
            not (wanted & set(i.specialties)),
            commit_reveal.draw_key(plan.seed or "", f"{task.uscc}:{i.id}"),
        )

    chosen = sorted(eligible, key=rank)[: rules.min_inspectors]
    task.inspectors = [str(i.id) for i in chosen]
    session.add_all(
        TaskInspector(task_id=task.id, inspector_id=i.id, uscc=task.uscc, assigned_at=now) for i in chosen
    )
    await session.flush()
    return [i.id for i in chosen]
