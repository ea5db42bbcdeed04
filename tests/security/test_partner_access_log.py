"""Every route a partner can reach logs the lookup: who asked, why, and which codes."""

from __future__ import annotations

import httpx

from services.common.roles import Role
from tests.support import Tokens, code, event_body, register


async def test_every_partner_lookup_is_in_the_access_log(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    regulator = tokens(Role.regulator)
    await register(registry, regulator, code(1), "访问日志测试有限公司")
    recorded = await registry.post(
        f"/v1/enterprises/{code(1)}/credit-events", json=event_body("访问〔2026〕1号"), headers=regulator
    )
    assert recorded.status_code == 201, recorded.text
    partner = tokens(Role.partner, subject="bank-7")
    routes = {
        f"/v1/enterprises/{code(1)}": "enterprise",
        f"/v1/enterprises/{code(1)}/credit": "single",
        f"/v1/enterprises/{code(1)}/credit-events": "events",
        f"/v1/enterprises/{code(1)}/credit/history": "history",
        "/v1/enterprises?q=访问日志": "search",
        "/v1/changes?after=0": "feed",
    }
    for n, url in enumerate(routes):
        answer = await registry.get(url, headers={**partner, "X-Purpose": f"case-{n}"})
        assert answer.status_code == 200, (url, answer.text)
    # Without a purpose, a partner is refused on each of them, and nothing is logged for it.
    unstated = {k: v for k, v in partner.items() if k != "X-Purpose"}
    for url in routes:
        refused = await registry.get(url, headers=unstated)
        assert refused.status_code == 422, (url, refused.text)
    log = (await registry.get("/v1/access-log?limit=50", headers=regulator)).json()["items"]
    seen = {(e["lookup"], e["purpose"]): e for e in log}
    assert len(log) == len(routes)
    for n, lookup in enumerate(routes.values()):
        entry = seen[(lookup, f"case-{n}")]
        assert entry["partner"] == "bank-7"
        assert code(1) in entry["usccs"], entry
    # The enterprise sees who looked at it, for every one of those lookups.
    own = tokens(Role.enterprise, uscc=code(1))
    mine = (await registry.get(f"/v1/enterprises/{code(1)}/access-log?limit=50", headers=own)).json()["items"]
    assert len(mine) == len(routes)
    # Other callers are not logged.
    assert (await registry.get(f"/v1/enterprises/{code(1)}", headers=regulator)).status_code == 200
    assert len((await registry.get("/v1/access-log?limit=50", headers=regulator)).json()["items"]) == len(
        routes
    )
