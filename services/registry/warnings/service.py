"""Warnings from fired signals, their lifecycle, consumer notices, and the directed plan in one step.

Lifecycle (研判 → 处置): open → assessed → disposed → closed. Disposal names the measures taken (a
directed plan, a consumer notice, or others in words); both of those are recorded as measures when made.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.db import insert_ignoring_conflicts
from services.common.errors import Conflict, NotFound
from services.common.pagination import keyset_after
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work as events
from services.registry.events.domain import SupervisionRecorded
from services.registry.supervision import plans
from services.registry.supervision.models import InspectionPlan, RiskClass
from services.registry.supervision.rules import load_catalogue
from services.registry.supervision.schemas import PlanCreate
from services.registry.warnings.models import RiskNotice, RiskWarning
from services.registry.warnings.schemas import DirectedPlanCreate, NoticeCreate, WarningTransition
from services.registry.warnings.signals import Thresholds, Windows, evaluate
from services.registry.warnings.sources import Series

# action: (from statuses, to status)
MACHINE = {
    "assess": ({"open"}, "assessed"),
    "dispose": ({"assessed"}, "disposed"),
    "close": ({"disposed"}, "closed"),
}


async def raise_warnings(
    session: AsyncSession, *, series: Sequence[Series], w: Windows, thresholds: Thresholds, now: datetime
) -> int:
    """A warning for every series whose latest window fires; an existing one (same window) is kept."""
    raised = 0
    for s in series:
        count = s.counts.get(w.start, 0)
        baseline = [s.counts.get(start, 0) for start in w.baseline]
        fired = evaluate(count, baseline, kind=s.signal, thresholds=thresholds)
        if fired is None:
            continue
        evidence: dict[str, Any] = {
            "window": {"start": w.start.isoformat(), "end": w.end.isoformat()},
            "count": count,
            "baseline_windows": {start.isoformat(): s.counts.get(start, 0) for start in w.baseline},
            "baseline_mean": fired.baseline,
            "test": "poisson upper tail P(X >= count | lambda = max(baseline mean, min_baseline))",
            "refs": s.evidence,
        }
        statement = insert_ignoring_conflicts(
            session, RiskWarning, ["signal", "subject_key", "window_end"]
        ).values(
            id=uuid.uuid4(),
            signal=s.signal,
            region=s.region,
            category=s.category,
            uscc=s.uscc,
            window_start=w.start,
            window_end=w.end,
            count=count,
            baseline=fired.baseline,
            p_value=fired.p_value,
            level=fired.level,
            evidence=evidence,
            thresholds_version=thresholds.version,
            status="open",
            assessment=None,
            measures=[],
            raised_at=now,
            updated_at=now,
            history=[{"at": now.isoformat(), "to": "open", "by": "system:signals"}],
            subject_key=s.key,
        )
        inserted = (await session.execute(statement.returning(RiskWarning.id))).scalar_one_or_none()
        raised += inserted is not None
    return raised


async def get_warning(
    session: AsyncSession, warning_id: uuid.UUID, *, for_update: bool = False
) -> RiskWarning:
    statement = select(RiskWarning).where(RiskWarning.id == warning_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    warning = (await session.execute(statement)).scalar_one_or_none()
    if warning is None:
        raise NotFound(f"no warning {warning_id}")
    return warning


async def list_warnings(
    session: AsyncSession, *, status: str | None, level: str | None, after: tuple[str, str] | None, limit: int
) -> Sequence[RiskWarning]:
    """Newest first; the (raised_at, id) cursor never skips nor repeats warnings raised together."""
    statement = select(RiskWarning).order_by(RiskWarning.raised_at.desc(), RiskWarning.id.desc()).limit(limit)
    if status:
        statement = statement.where(RiskWarning.status == status)
    if level:
        statement = statement.where(RiskWarning.level == level)
    if after is not None:
        statement = statement.where(keyset_after(RiskWarning.raised_at, RiskWarning.id, after))
    return (await session.execute(statement)).scalars().all()


def _step(warning: RiskWarning, entry: dict[str, Any], now: datetime) -> None:
    warning.history = [*warning.history, {"at": now.isoformat(), **entry}]
    warning.updated_at = now


async def transition(
    session: AsyncSession, *, warning_id: uuid.UUID, data: WarningTransition, actor: Principal, now: datetime
) -> RiskWarning:
    warning = await get_warning(session, warning_id, for_update=True)
    sources, target = MACHINE[data.action]
    if warning.status not in sources:
        raise Conflict(
            f"warning {warning_id} is {warning.status}; {data.action} is not allowed",
            current_state=warning.status,
            allowed_actions=[a for a, (f, _) in MACHINE.items() if warning.status in f],
        )
    if data.action == "assess":
        warning.assessment = data.note
    if data.action == "dispose":
        warning.measures = [*warning.measures, *({"kind": "other", "text": m} for m in data.measures)]
        if not warning.measures:
            raise Conflict("a disposal names its measures: a directed plan, a notice, or others in words")
    warning.status = target
    _step(warning, {"action": data.action, "to": target, "by": actor.actor, "note": data.note}, now)
    await session.flush()
    return warning


async def publish_notice(
    session: AsyncSession, *, warning_id: uuid.UUID, data: NoticeCreate, actor: Principal, now: datetime
) -> RiskNotice:
    warning = await get_warning(session, warning_id, for_update=True)
    if warning.status not in ("assessed", "disposed"):
        raise Conflict("a notice follows the assessment (研判) of the warning", current_state=warning.status)
    notice = RiskNotice(
        id=uuid.uuid4(),
        warning_id=warning.id,
        level=warning.level,
        region=warning.region,
        category=warning.category,
        authority=data.authority,
        published_at=now,
        published_by=actor.actor,
        **data.model_dump(exclude={"authority"}),
    )
    session.add(notice)
    warning.measures = [*warning.measures, {"kind": "notice", "notice_id": str(notice.id)}]
    _step(warning, {"action": "notice", "by": actor.actor, "notice_id": str(notice.id)}, now)
    await session.flush()
    # The feed is per enterprise: the notice is announced for each enterprise behind the warning.
    announced = {
        "notice_id": str(notice.id),
        "level": notice.level,
        "region": notice.region,
        "category": notice.category,
        "title_zh": notice.title_zh,
        "title_en": notice.title_en,
    }
    for uscc in [warning.uscc] if warning.uscc else await enterprises_behind(session, warning):
        events.record(
            session,
            SupervisionRecorded(
                actor=actor.actor,
                action="risk_notice.published",
                uscc=uscc,
                subject=str(notice.id),
                at=now,
                feed_kind="risk_notice_published",
                details=announced,
            ),
        )
    return notice


async def directed_plan(
    session: AsyncSession,
    *,
    warning_id: uuid.UUID,
    data: DirectedPlanCreate,
    actor: Principal,
    today: date,
    now: datetime,
) -> InspectionPlan:
    """A directed (专项) plan over the enterprises behind the warning, in one step."""
    warning = await get_warning(session, warning_id, for_update=True)
    if warning.status not in ("assessed", "disposed"):
        raise Conflict(
            "a directed plan follows the assessment (研判) of the warning", current_state=warning.status
        )
    targets = [warning.uscc] if warning.uscc else await enterprises_behind(session, warning)
    plan = await plans.create_plan(
        session,
        data=PlanCreate(
            title=data.title or f"专项监督抽查：{warning.category or warning.uscc}（预警 {warning.level}）",
            authority=data.authority,
            region=None if warning.uscc else warning.region,
            categories=[warning.category]
            if warning.category and load_catalogue().get(warning.category)
            else [],
            period_start=data.period_start or today,
            period_end=data.period_end or today,
            inspector_pool=data.inspector_pool,
            note=f"warning {warning.id}",
        ),
        actor=actor,
        now=now,
        kind="directed",
        targets=targets,
        warning_id=warning.id,
    )
    warning.measures = [*warning.measures, {"kind": "directed_plan", "plan_id": str(plan.id)}]
    _step(warning, {"action": "directed_plan", "by": actor.actor, "plan_id": str(plan.id)}, now)
    await session.flush()
    return plan


async def enterprises_behind(session: AsyncSession, warning: RiskWarning) -> list[str]:
    """The region's enterprises making the warning's category; all of the region when none declares it."""
    statement = select(Enterprise.uscc).where(Enterprise.status == "active").order_by(Enterprise.uscc)
    if warning.region:
        statement = statement.where(Enterprise.division.startswith(warning.region, autoescape=True))
    codes = list((await session.execute(statement)).scalars())
    if not codes or not warning.category:
        return codes
    rows = (
        await session.execute(select(RiskClass.uscc, RiskClass.categories).where(RiskClass.uscc.in_(codes)))
    ).all()
    making = [code for code, categories in rows if warning.category in categories]
    return sorted(making) or codes


async def list_notices(
    session: AsyncSession, *, after: tuple[str, str] | None, limit: int
) -> Sequence[RiskNotice]:
    statement = select(RiskNotice).order_by(RiskNotice.published_at.desc(), RiskNotice.id.desc()).limit(limit)
    if after is not None:
        statement = statement.where(keyset_after(RiskNotice.published_at, RiskNotice.id, after))
    return (await session.execute(statement)).scalars().all()


async def get_notice(session: AsyncSession, notice_id: uuid.UUID) -> RiskNotice:
    notice = await session.get(RiskNotice, notice_id)
    if notice is None:
        raise NotFound(f"no risk notice {notice_id}")
    return notice
