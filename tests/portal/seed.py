"""Putting an enterprise on a list through the public API, as a regulator would (async client)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from services.common.clock import FrozenClock
from tests.support import Tokens

BLACK = {
    "list": "black",
    "reason": "生产销售不合格电热水壶，经责令改正拒不改正，情节严重",
    "legal_basis": "《市场监督管理严重违法失信名单管理办法》第二条",
    "decision_no": "南市监罚〔2026〕88号",
    "authority": "南宁市市场监督管理局",
    "decided_at": "2026-11-02T00:00:00Z",
}
RED = {
    "list": "red",
    "reason": "获自治区主席质量奖，连续三年无不良记录",
    "legal_basis": "守信激励措施清单",
    "decision_no": "桂质奖〔2026〕5号",
    "authority": "广西壮族自治区市场监督管理局",
}
INTERNAL_NOTE = "内部意见：该企业负责人态度恶劣，仅供内部参考"


async def transition(
    client: httpx.AsyncClient, reg: dict[str, str], entry_id: str, action: str, **extra: object
) -> dict:
    response = await client.post(
        f"/v1/list-entries/{entry_id}/transitions", json={"action": action, **extra}, headers=reg
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


# A city bureau's listing needs the province's consent (Order 44 第二十二条).
CONSENT = {"action": "record_consent", "approving_authority": "广西壮族自治区市场监督管理局"}


async def blacklist(
    client: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock, uscc: str, **over: object
) -> dict:
    """Propose, serve notice (with an internal note), let the defence time pass, list."""
    reg = tokens("regulator")
    proposed = await client.post("/v1/list-entries", json={**BLACK, "uscc": uscc, **over}, headers=reg)
    assert proposed.status_code == 201, proposed.text
    entry_id = proposed.json()["id"]
    served = await transition(client, reg, entry_id, "serve_notice", note=INTERNAL_NOTE)
    await client.post(f"/v1/list-entries/{entry_id}/transitions", json=CONSENT, headers=reg)
    clock.set(datetime.fromisoformat(served["defence_due_at"]) + timedelta(seconds=1))
    return await transition(client, reg, entry_id, "list", note=INTERNAL_NOTE)


async def redlist(client: httpx.AsyncClient, tokens: Tokens, uscc: str, **over: object) -> dict:
    response = await client.post(
        "/v1/list-entries", json={**RED, "uscc": uscc, **over}, headers=tokens("regulator")
    )
    assert response.status_code == 201, response.text
    return dict(response.json())
