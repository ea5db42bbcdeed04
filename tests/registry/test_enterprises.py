import httpx

from services.common.roles import Role
from tests.support import Tokens, code, register


async def test_register_read_and_duplicate(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    created = await register(registry, reg, f" {code(1).lower()} ", name="南宁市 绿城  食品有限公司")
    body = created.json()
    assert body["uscc"] == code(1)
    assert body["name"] == "南宁市 绿城 食品有限公司"
    assert body["region"] == {"division": "450100", "province": "广西壮族自治区"}
    assert body["entity_type"]["label"] == "企业"
    assert body["grade"] == "A" and body["score"] == 100
    assert created.headers["location"] == f"/v1/enterprises/{code(1)}"

    again = await registry.post("/v1/enterprises", json={"uscc": code(1), "name": "x"}, headers=reg)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"

    public = (await registry.get(f"/v1/enterprises/{code(1)}")).json()
    assert "score" not in public and "created_by" not in public and public["grade"] == "A"
    full = (await registry.get(f"/v1/enterprises/{code(1)}", headers=reg)).json()
    assert full["created_by"] == "regulator:dev-regulator"
    own = (
        await registry.get(f"/v1/enterprises/{code(1)}", headers=tokens(Role.enterprise, uscc=code(1)))
    ).json()
    assert own["score"] == 100
    other = (
        await registry.get(f"/v1/enterprises/{code(1)}", headers=tokens(Role.enterprise, uscc=code(2)))
    ).json()
    assert "score" not in other


async def test_bad_check_character_is_422_naming_the_rule(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    bad = code(1)[:17] + ("0" if code(1)[17] != "0" else "1")
    response = await registry.post(
        "/v1/enterprises", json={"uscc": bad, "name": "x"}, headers=tokens(Role.regulator)
    )
    assert response.status_code == 422
    problem = response.json()
    assert f"should be {code(1)[17]}, got {bad[17]}" in problem["detail"]
    assert problem["errors"][0]["field"] == "uscc"
    assert (await registry.get(f"/v1/enterprises/{bad}")).status_code == 404


async def test_pilot_code_needs_the_regulators_override(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    pilot = "91350100M0001TGQXM"
    reg = tokens(Role.regulator)
    refused = await registry.post("/v1/enterprises", json={"uscc": pilot, "name": "试点"}, headers=reg)
    assert refused.status_code == 422
    created = await registry.post(
        "/v1/enterprises",
        headers=reg,
        json={"uscc": pilot, "name": "试点", "check_override": {"reason": "2015 pilot code"}},
    )
    assert created.status_code == 201
    assert created.json()["check_override_reason"] == "2015 pilot code"
    for role in (Role.partner, Role.enterprise):
        denied = await registry.post(
            "/v1/enterprises",
            headers=tokens(role, uscc=pilot),
            json={"uscc": code(5), "name": "x", "check_override": {"reason": "r"}},
        )
        assert denied.status_code == 403


async def test_only_regulators_register_and_update(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    assert (await registry.post("/v1/enterprises", json={"uscc": code(1), "name": "x"})).status_code == 401
    for role in (Role.partner, Role.service):
        response = await registry.post(
            "/v1/enterprises", json={"uscc": code(1), "name": "x"}, headers=tokens(role)
        )
        assert response.status_code == 403
    await register(registry, tokens(Role.regulator), code(1))
    patch = await registry.patch(
        f"/v1/enterprises/{code(1)}",
        json={"name": "新名称有限公司"},
        headers=tokens(Role.enterprise, uscc=code(1)),
    )
    assert patch.status_code == 403
    patch = await registry.patch(
        f"/v1/enterprises/{code(1)}",
        json={"name": "新名称有限公司", "status": "deregistered"},
        headers=tokens(Role.regulator),
    )
    assert patch.status_code == 200
    assert patch.json()["name"] == "新名称有限公司" and patch.json()["status"] == "deregistered"
    null_name = await registry.patch(
        f"/v1/enterprises/{code(1)}", json={"name": None}, headers=tokens(Role.regulator)
    )
    assert null_name.status_code == 422


async def test_search_pages_without_gaps_or_repeats(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    for n in range(7):
        await register(registry, reg, code(n), name=f"防城港市海产{n}号有限公司")
    for n in range(7, 10):
        await register(registry, reg, code(n, division="210100"), name=f"沈阳机械{n}厂")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": "海产", "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await registry.get("/v1/enterprises", params=params)).json()
        seen += [item["uscc"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(code(n) for n in range(7))
    region = (await registry.get("/v1/enterprises", params={"region": "2101"})).json()
    assert {i["uscc"] for i in region["items"]} == {code(n, division="210100") for n in range(7, 10)}
    assert (await registry.get("/v1/enterprises", params={"q": "%"})).json()["items"] == []
    assert (await registry.get("/v1/enterprises", params={"cursor": "garbage!"})).status_code == 422
    assert (await registry.get("/v1/enterprises", params={"limit": 1000})).status_code == 422


async def test_path_code_is_normalised_and_checked(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    await register(registry, tokens(Role.regulator), code(3))
    assert (await registry.get(f"/v1/enterprises/{code(3).lower()}")).status_code == 200
    bad = await registry.get("/v1/enterprises/NOT-A-CODE")
    assert bad.status_code == 422 and "18 characters" in bad.json()["detail"]
