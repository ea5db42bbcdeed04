"""Helpers for reward tests: a concluded real-name report and an outcome body."""

from __future__ import annotations

from typing import Any

import httpx

from services.common.roles import Role
from tests.support import Tokens, complaint_body, move

REPORTER = {"name": "李举报", "phone": "13900139000", "email": "lijb@example.cn"}
RECORDER = "handler-zhang"
APPROVER = "handler-li"


def report_body(**over: object) -> dict[str, object]:
    body = complaint_body(
        kind="report",
        category="food_safety",
        description="某乳企使用过期原料生产灭菌乳，仓库内有大量过期奶粉。",
        reporter=REPORTER,
    )
    body.update(over)
    return body


def facts(**over: bool) -> dict[str, bool]:
    base = {
        "natural_person": True,
        "staff_or_duty_to_report": False,
        "injured_party_or_agent": False,
        "violator": False,
        "insider": False,
        "paid_by_other_market_actor": False,
        "known_before": False,
    }
    base.update(over)
    return base


def outcome_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "decision_no": "榕市监罚〔2026〕88号",
        "violator_type": "organisation",
        "fines": "200000",
        "confiscations": "50000",
        "measures": [],
        "referred_for_prosecution": False,
        "evidence_level": 1,
        "reporter": facts(),
    }
    body.update(over)
    return body


async def concluded_report(
    client: httpx.AsyncClient, tokens: Tokens, *, action: str = "substantiate", **over: object
) -> dict[str, Any]:
    """A real-name report filed, accepted, investigated and concluded; the intake answer."""
    created = await client.post("/v1/complaints", json=report_body(**over))
    assert created.status_code == 201, created.text
    handler = tokens(Role.handler, subject=RECORDER)
    await move(client, handler, created.json()["id"], "accept", "investigate", action, severity="severe")
    return created.json()


async def record(client: httpx.AsyncClient, tokens: Tokens, complaint_id: str, **over: Any) -> httpx.Response:
    return await client.post(
        f"/v1/complaints/{complaint_id}/reward",
        json=outcome_body(**over),
        headers=tokens(Role.handler, subject=RECORDER),
    )


async def approve(
    client: httpx.AsyncClient, tokens: Tokens, reward_id: str, subject: str = APPROVER, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/rewards/{reward_id}/decision",
        json={"decision": "approve", **body},
        headers=tokens(Role.handler, subject=subject),
    )
