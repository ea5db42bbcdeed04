import httpx
from fastapi import FastAPI
from sqlalchemy import event

from services.common.roles import Role
from tests.support import Tokens, code, register


async def test_batch_answers_each_code(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1), name="甲公司")
    await registry.post(
        "/v1/enterprises",
        headers=reg,
        json={"uscc": "91350100M0001TGQXM", "name": "试点", "check_override": {"reason": "pilot"}},
    )
    bad_check = code(2)[:17] + ("0" if code(2)[17] != "0" else "1")
    body = {"usccs": [code(1).lower(), code(2), bad_check, "short", "91350100M0001TGQXM", code(1)]}
    answer = await registry.post("/v1/credit-status:batch", json=body, headers=tokens(Role.partner))
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [(i["uscc"], i["result"]) for i in items] == [
        (code(1), "found"),
        (code(2), "not_found"),
        (bad_check, "invalid"),
        ("short", "invalid"),
        ("91350100M0001TGQXM", "found"),
        (code(1), "found"),
    ]
    assert items[0]["grade"] == "A" and items[0]["name"] == "甲公司"
    assert "should be" in items[2]["reason"] and "18 characters" in items[3]["reason"]
    assert answer.json()["as_of"]


async def test_batch_limits_and_roles(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    url = "/v1/credit-status:batch"
    too_many = await registry.post(
        url, json={"usccs": [code(n) for n in range(1001)]}, headers=tokens(Role.partner)
    )
    assert too_many.status_code == 413
    assert too_many.headers["content-type"] == "application/problem+json"
    assert (await registry.post(url, json={"usccs": []}, headers=tokens(Role.partner))).status_code == 422
    assert (await registry.post(url, json={"usccs": [code(1)]})).status_code == 401
    for role in (Role.enterprise, Role.service):
        assert (
            await registry.post(url, json={"usccs": [code(1)]}, headers=tokens(role, uscc=code(1)))
        ).status_code == 403
    assert (
        await registry.post(url, json={"usccs": [code(1)]}, headers=tokens(Role.regulator))
    ).status_code == 200


async def test_batch_query_count_does_not_grow_with_size(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    for n in range(5):
        await register(registry, reg, code(n))
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = registry_app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = []
        for size in (10, 1000):
            statements.clear()
            codes = [code(n) for n in range(size)]
            answer = await registry.post(
                "/v1/credit-status:batch", json={"usccs": codes}, headers=tokens(Role.partner)
            )
            assert sum(i["result"] == "found" for i in answer.json()["items"]) == 5
            # The feed position is refreshed at most every feed_horizon_seconds, not per batch.
            counts.append(len([s for s in statements if "FROM change" not in s]))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # enterprises, list entries, the access-log row (its codes in one array column): constant
    assert counts[0] == counts[1] <= 3
