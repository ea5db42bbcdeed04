"""Demo enterprises and events for `qcr dev` (loaded once, into an empty registry)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import uscc as uscc_rules
from services.common.auth import Principal
from services.common.roles import Role
from services.registry.credit import service as credit
from services.registry.credit.rules import RuleSet, assess
from services.registry.credit.schemas import CreditEventCreate
from services.registry.enterprises import service as enterprises
from services.registry.enterprises.models import Enterprise
from services.registry.enterprises.schemas import CheckOverride, EnterpriseCreate
from services.registry.events import unit_of_work
from services.registry.lists import service as lists
from services.registry.lists.rules import load_list_rules
from services.registry.lists.schemas import ConsentTransition, ListEntryCreate, PlainTransition

DEMO_ACTOR = Principal(role=Role.regulator, subject="demo-loader", issuer="qcr-dev")

DEMO_ENTERPRISES = [
    ("91450600", "MA5L0001", "防城港市海韵食品有限公司", "广西防城港市港口区渔洲路 8 号"),
    ("91450600", "MA5L0002", "防城港市北部湾电器制造有限公司", "广西防城港市防城区工业园 2 号"),
    ("91211300", "MA0Q0003", "朝阳市燕都乳业有限公司", "辽宁省朝阳市双塔区龙山街 5 号"),
    ("91330100", "MA2H0004", "杭州西湖精密仪器有限公司", "浙江省杭州市西湖区文三路 99 号"),
    ("92440300", "MA5F0005", "深圳市南山区明记五金店", "广东省深圳市南山区科技园 3 号"),
]
PILOT_CODE = "91350100M0001TGQXM"


async def load(session: AsyncSession, *, rules: RuleSet, now: datetime) -> list[str]:
    """Register the demo set if the registry is empty; returns the demo codes."""
    codes = [uscc_rules.with_check_characters(head + body) for head, body, _, _ in DEMO_ENTERPRISES]
    if (await session.execute(select(func.count()).select_from(Enterprise))).scalar_one():
        return codes
    for code, (_, _, name, address) in zip(codes, DEMO_ENTERPRISES, strict=True):
        await enterprises.register(
            session,
            data=EnterpriseCreate(uscc=code, name=name, address=address),
            actor=DEMO_ACTOR,
            initial=assess([], rules, now),
            now=now,
        )
    await enterprises.register(
        session,
        initial=assess([], rules, now),
        now=now,
        actor=DEMO_ACTOR,
        data=EnterpriseCreate(
            uscc=PILOT_CODE,
            name="福州市试点赋码企业有限公司",
            check_override=CheckOverride(reason="2015 pilot code, legal as issued"),
        ),
    )
    events = [
        (codes[1], "spot_check_failed", "severe", "防城港市市场监督管理局", "防市监抽〔2026〕12号"),
        (
            codes[1],
            "complaint_substantiated",
            "minor",
            "防城港市市场监督管理局",
            "demo-complaint-1",
        ),
        (
            codes[2],
            "administrative_penalty",
            "major",
            "朝阳市市场监督管理局",
            "朝市监罚〔2026〕7号",
        ),
        (codes[3], "award", "major", "浙江省市场监督管理局", "浙质奖〔2025〕3号"),
    ]
    for code, kind, severity, authority, ref in events:
        await credit.record_event(
            session,
            uscc=code,
            actor=DEMO_ACTOR,
            rules=rules,
            now=now,
            data=CreditEventCreate(
                kind=kind,
                severity=severity,
                authority=authority,
                source_ref=ref,
                occurred_at=now - timedelta(days=30),
            ),
        )
    await unit_of_work.publish(session)  # graded before the lists look at the grades
    await _demo_lists(session, codes, rules=rules, now=now)
    return codes


async def _demo_lists(session: AsyncSession, codes: list[str], *, rules: RuleSet, now: datetime) -> None:
    """One black-list entry taken through notice and listing weeks ago, and one red-list entry."""
    list_rules = load_list_rules()
    proposed_at = now - timedelta(days=40)
    entry = await lists.propose(
        session,
        actor=DEMO_ACTOR,
        rules=rules,
        list_rules=list_rules,
        now=proposed_at,
        data=ListEntryCreate(
            uscc=codes[1],
            list="black",
            reason="生产销售不合格电器产品，经责令改正拒不改正，情节严重",
            legal_basis="《市场监督管理严重违法失信名单管理办法》第九条",
            decision_no="防市监罚〔2026〕21号",
            authority="防城港市市场监督管理局",
            authority_division="450600",
            decided_at=proposed_at,
        ),
    )
    await lists.act(
        session,
        entry_id=entry.id,
        data=PlainTransition(action="serve_notice"),
        actor=DEMO_ACTOR,
        list_rules=list_rules,
        now=proposed_at,
    )
    # A city bureau lists only with the province's consent (Order 44 第二十二条).
    await lists.act(
        session,
        entry_id=entry.id,
        data=ConsentTransition(
            action="record_consent",
            approving_authority="广西壮族自治区市场监督管理局",
            reference="桂市监信函〔2026〕5号",
        ),
        actor=DEMO_ACTOR,
        list_rules=list_rules,
        now=proposed_at,
    )
    await lists.act(
        session,
        entry_id=entry.id,
        data=PlainTransition(action="list"),
        actor=DEMO_ACTOR,
        list_rules=list_rules,
        now=now - timedelta(days=20),
    )
    await lists.propose(
        session,
        actor=DEMO_ACTOR,
        rules=rules,
        list_rules=list_rules,
        now=now,
        data=ListEntryCreate(
            uscc=codes[3],
            list="red",
            reason="获浙江省政府质量奖，质量信用良好",
            legal_basis="守信激励措施清单",
            decision_no="浙质奖〔2025〕3号",
            authority="浙江省市场监督管理局",
            decided_at=now - timedelta(days=30),
        ),
    )
