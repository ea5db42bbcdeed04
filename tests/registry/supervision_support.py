"""Helpers for the supervision and early-warning tests: inspectors, plans, draws, task steps."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx


async def add_inspectors(
    client: httpx.AsyncClient, reg: dict[str, str], n: int, *, region: str = "45", prefix: str = "GX"
) -> list[str]:
    ids = []
    for i in range(n):
        answer = await client.post(
            "/v1/inspectors",
            json={
                "name": f"检查员{prefix}{i}",
                "badge_no": f"{prefix}-{i:04d}",
                "region": region,
                "specialties": ["乳制品"] if i % 2 else [],
            },
            headers=reg,
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def plan_body(pool: list[str], **over: Any) -> dict[str, Any]:
    return {
        "title": "2026年第四季度双随机抽查",
        "authority": "南宁市市场监督管理局",
        "region": "4501",
        "period_start": "2026-11-20",
        "period_end": "2026-12-31",
        "inspector_pool": pool,
        **over,
    }


async def drawn_plan(client: httpx.AsyncClient, reg: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    created = await client.post("/v1/inspection-plans", json=body, headers=reg)
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    approved = await client.post(f"/v1/inspection-plans/{plan_id}/approval", headers=reg)
    assert approved.status_code == 200, approved.text
    drawn = await client.post(f"/v1/inspection-plans/{plan_id}/draw", headers=reg)
    assert drawn.status_code == 200, drawn.text
    return drawn.json()


def recompute(seed: str, candidates: list[dict[str, str]], quotas: dict[str, int]) -> list[str]:
    """The README's recipe, written out independently of the service's code."""
    by_class: dict[str, list[str]] = {}
    for c in candidates:
        by_class.setdefault(c["risk_class"], []).append(c["uscc"])
    chosen = []
    for risk_class in sorted(by_class):
        ranked = sorted(
            by_class[risk_class], key=lambda u: hashlib.sha256(f"{seed}:{u}".encode()).hexdigest()
        )
        chosen += ranked[: quotas.get(risk_class, 0)]
    return chosen


async def step(client: httpx.AsyncClient, reg: dict[str, str], task_id: str, **body: Any) -> httpx.Response:
    return await client.post(f"/v1/inspection-tasks/{task_id}/results", json=body, headers=reg)
