"""Self-declared standards: an enterprise publishes, revises and withdraws; the public finds and reads."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from tests.support import Tokens, code, register

# A PDF is recognised by its content: the header is what matters, not the name.
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PDF_V2 = PDF.replace(b"1.7", b"2.0")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(content: bytes = PDF, filename: str = "企业标准.pdf") -> dict[str, str]:
    return {"filename": filename, "content_base64": base64.b64encode(content).decode()}


def standard_body(number: str = "Q/NNSP 0001S-2026", **over: Any) -> dict[str, Any]:
    return {
        "number": number,
        "title": "全脂灭菌纯牛奶",
        "type": "product",
        "products": ["全脂纯牛奶", "纯牛奶"],
        "indicators": [
            {
                "name": "蛋白质",
                "comparator": ">=",
                "value": "3.1",
                "unit": "g/100g",
                "test_method": "GB 5009.5",
            },
            {"name": "铅", "comparator": "<=", "value": "0.02", "unit": "mg/kg", "test_method": "GB 5009.12"},
            # Every mandatory indicator of 纯牛奶, each with its test method (Order 83 第十四条第二款).
            {
                "name": "非脂乳固体",
                "comparator": ">=",
                "value": "8.1",
                "unit": "g/100g",
                "test_method": "GB 5413.39",
            },
        ],
        "implemented_on": "2026-12-01",
        "document": upload(),
        **over,
    }


def rice_body(number: str = "Q/NNSP 0002S-2026", **over: Any) -> dict[str, Any]:
    return standard_body(
        number,
        title="优质籼米",
        products=["籼米", "大米"],
        indicators=[
            {"name": "镉", "comparator": "<=", "value": "0.1", "unit": "mg/kg", "test_method": "GB 5009.15"},
            {"name": "铅", "comparator": "<=", "value": "0.2", "unit": "mg/kg", "test_method": "GB 5009.12"},
            {
                "name": "无机砷",
                "comparator": "<=",
                "value": "0.2",
                "unit": "mg/kg",
                "test_method": "GB 5009.11",
            },
            {
                "name": "黄曲霉毒素B1",
                "comparator": "<=",
                "value": "10",
                "unit": "μg/kg",
                "test_method": "GB 5009.22",
            },
        ],
        **over,
    )


def enterprise(tokens: Tokens, n: int, division: str = "450100") -> dict[str, str]:
    return tokens(Role.enterprise, uscc=code(n, division))


async def publish(
    client: httpx.AsyncClient, headers: dict[str, str], uscc: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(f"/v1/enterprises/{uscc}/standards", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_enterprise_publishes_revises_and_withdraws_its_own_declaration(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1), "南宁市示例乳业有限公司")

    created = await registry.post(f"/v1/enterprises/{code(1)}/standards", json=standard_body(), headers=own)
    assert created.status_code == 201, created.text
    declaration = created.json()
    assert created.headers["location"] == f"/v1/standards/{declaration['id']}"
    assert declaration["status"] == "published"
    assert declaration["version"] == 1
    assert declaration["level"] == "enterprise"
    assert declaration["enterprise_name"] == "南宁市示例乳业有限公司"
    assert declaration["document"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert declaration["indicators"][0] == {
        "name": "蛋白质",
        "comparator": ">=",
        "value": "3.1",
        "value_max": None,
        "unit": "g/100g",
        "test_method": "GB 5009.5",
    }
    url = f"/v1/standards/{declaration['id']}"

    revised = await registry.post(
        f"{url}/revisions",
        json=standard_body(
            "Q/NNSP 0001S-2027",
            title="全脂灭菌纯牛奶（修订）",
            revision_note="蛋白质指标提高到 3.2 g/100g",
            base_version=1,
            document=upload(PDF_V2),
        ),
        headers=own,
    )
    assert revised.status_code == 201, revised.text
    assert revised.headers["location"] == f"{url}/versions/2"
    after = revised.json()
    assert (after["version"], after["number"], after["title"]) == (
        2,
        "Q/NNSP 0001S-2027",
        "全脂灭菌纯牛奶（修订）",
    )
    assert after["revision_note"] == "蛋白质指标提高到 3.2 g/100g"
    assert [(v["version"], v["number"]) for v in after["versions"]] == [
        (1, "Q/NNSP 0001S-2026"),
        (2, "Q/NNSP 0001S-2027"),
    ]
    first = (await registry.get(f"{url}/versions/1")).json()
    assert (first["title"], first["document"]["sha256"]) == (
        "全脂灭菌纯牛奶",
        hashlib.sha256(PDF).hexdigest(),
    )

    withdrawn = await registry.post(f"{url}/withdrawal", json={"reason": "产品停产"}, headers=own)
    assert withdrawn.status_code == 200, withdrawn.text
    public = (await registry.get(url)).json()
    assert public["status"] == "withdrawn"
    assert public["withdrawal_reason"] == "产品停产"
    assert public["withdrawn_at"] == "2026-11-20T08:00:00Z"
    assert public["version"] == 2

    again = await registry.post(f"{url}/withdrawal", json={"reason": "重复"}, headers=own)
    assert again.status_code == 409
    late = await registry.post(
        f"{url}/revisions", json=standard_body(revision_note="撤销后修订"), headers=own
    )
    assert late.status_code == 409
    assert "withdrawn" in late.json()["detail"]


async def test_an_enterprise_can_never_act_for_another_code(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    for n in (1, 2):
        await register(registry, reg, code(n))
    url = f"/v1/enterprises/{code(1)}/standards"

    assert (await registry.post(url, json=standard_body(), headers=enterprise(tokens, 2))).status_code == 403
    assert (await registry.post(url, json=standard_body(), headers=tokens(Role.partner))).status_code == 403
    assert (await registry.post(url, json=standard_body())).status_code == 401

    # a regulator may declare on the enterprise's behalf; only the owner (or a regulator) changes it
    declaration = await publish(registry, reg, code(1), standard_body())
    standard = f"/v1/standards/{declaration['id']}"
    other = enterprise(tokens, 2)
    revision = standard_body(revision_note="越权修订")
    assert (await registry.post(f"{standard}/revisions", json=revision, headers=other)).status_code == 403
    assert (
        await registry.post(f"{standard}/withdrawal", json={"reason": "越权"}, headers=other)
    ).status_code == 403
    owner = enterprise(tokens, 1)
    assert (await registry.post(f"{standard}/revisions", json=revision, headers=owner)).status_code == 201
    assert (await registry.get(standard)).json()["version"] == 2


async def test_the_document_downloads_with_its_hash_and_every_version_keeps_its_own(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    declaration = await publish(registry, own, code(1), standard_body())
    url = f"/v1/standards/{declaration['id']}"

    download = await registry.get(f"{url}/document")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (
        download.headers["repr-digest"]
        == f"sha-256=:{base64.b64encode(hashlib.sha256(PDF).digest()).decode()}:"
    )
    assert "attachment" in download.headers["content-disposition"]

    # a revision without a new text keeps the current one; with one, the old text stays downloadable
    kept = await registry.post(
        f"{url}/revisions", json=standard_body(revision_note="改标题", document=None), headers=own
    )
    assert kept.json()["document"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    await registry.post(
        f"{url}/revisions", json=standard_body(revision_note="新文本", document=upload(PDF_V2)), headers=own
    )
    assert (await registry.get(f"{url}/document")).content == PDF_V2
    assert (await registry.get(f"{url}/versions/1/document")).content == PDF
    assert (await registry.get(f"{url}/versions/4/document")).status_code == 404

    # the law asks for the indicators, not the text: a declaration may publish none
    bare = await publish(registry, own, code(1), standard_body("GB 25190-2010", document=None, indicators=[]))
    assert bare["document"] is None
    missing = await registry.get(f"/v1/standards/{bare['id']}/document")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_a_document_is_checked_by_content_and_size(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens
) -> None:
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    url = f"/v1/enterprises/{code(1)}/standards"

    png = await registry.post(url, json=standard_body(document=upload(PNG, "标准.pdf")), headers=own)
    assert png.status_code == 422
    assert png.json()["errors"][0]["field"] == "document.content_base64"
    assert "not a PDF" in png.json()["detail"]
    garbled = await registry.post(
        url, json=standard_body(document={"filename": "a.pdf", "content_base64": "%%%"}), headers=own
    )
    assert garbled.status_code == 422

    registry_app.state.settings.standards_max_document_bytes = 2048
    big = await registry.post(url, json=standard_body(document=upload(PDF + b"0" * 4096)), headers=own)
    assert big.status_code == 413
    assert big.headers["content-type"] == "application/problem+json"
    assert (await registry.get("/v1/standards")).json()["items"] == []  # nothing half-published


async def test_standard_numbers_are_validated_and_normalised(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    url = f"/v1/enterprises/{code(1)}/standards"

    for bad in ("Q/NNSP0001S-2026", "GB 19301", "XY/T 1234-2020", "ABC"):
        response = await registry.post(url, json=standard_body(bad), headers=own)
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"] == "number"
    # full-width characters and the em dash of printed standards are read as what they are
    typed = await publish(registry, own, code(1), standard_body("q／nnsp　0001s—2026"))
    assert typed["number"] == "Q/NNSP 0001S-2026"
    national = await publish(registry, own, code(1), standard_body("gb/t 5009.5-2016", indicators=[]))
    assert (national["number"], national["level"]) == ("GB/T 5009.5-2016", "national")
    industry = await publish(registry, own, code(1), standard_body("QB/T 2006-2016", indicators=[]))
    assert industry["level"] == "industry"

    # an enterprise's own standard must make its key indicators public
    silent = await registry.post(url, json=standard_body("Q/NNSP 0009S-2026", indicators=[]), headers=own)
    assert silent.status_code == 422
    assert silent.json()["errors"][0]["field"] == "indicators"


async def test_one_enterprise_declares_a_number_once_until_it_withdraws_it(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    for n in (1, 2):
        await register(registry, reg, code(n))
    first = await publish(registry, own, code(1), standard_body())
    twice = await registry.post(f"/v1/enterprises/{code(1)}/standards", json=standard_body(), headers=own)
    assert twice.status_code == 409
    assert twice.json()["declaration_id"] == first["id"]
    # another enterprise may follow the same number (a national one, typically)
    await publish(registry, enterprise(tokens, 2), code(2), standard_body())

    await registry.post(f"/v1/standards/{first['id']}/withdrawal", json={"reason": "重新制定"}, headers=own)
    await publish(registry, own, code(1), standard_body())

    stale = await registry.post(
        f"/v1/standards/{first['id']}/revisions",
        json=standard_body(revision_note="x", base_version=1),
        headers=own,
    )
    assert stale.status_code == 409  # withdrawn
    second = (await registry.get("/v1/standards", params={"uscc": code(1), "status": "published"})).json()
    url = f"/v1/standards/{second['items'][0]['id']}/revisions"
    await registry.post(url, json=standard_body("Q/NNSP 0001S-2027", revision_note="年号"), headers=own)
    outdated = await registry.post(
        url, json=standard_body(revision_note="基于旧版本", base_version=1), headers=own
    )
    assert outdated.status_code == 409
    assert outdated.json()["current_version"] == 2


async def test_the_public_finds_declarations_by_chinese_words_of_any_length(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1), "南宁乳业")
    await register(registry, reg, code(2, "350100"), "福州粮油")
    milk = await publish(registry, enterprise(tokens, 1), code(1), standard_body())
    rice = await publish(registry, enterprise(tokens, 2, "350100"), code(2, "350100"), rice_body())
    service = await publish(
        registry,
        enterprise(tokens, 1),
        code(1),
        standard_body(
            "Q/NNSP 0003S-2026",
            title="牛奶配送服务规范",
            type="service",
            products=["鲜奶配送"],
            indicators=[
                {
                    "name": "配送时限",
                    "comparator": "<=",
                    "value": "2",
                    "unit": "h",
                    "test_method": "订单系统记录评价",
                }
            ],
        ),
    )

    async def found(**params: str) -> list[str]:
        response = await registry.get("/v1/standards", params=params)  # no token: public
        assert response.status_code == 200, response.text
        return sorted(item["id"] for item in response.json()["items"])

    both_milk = sorted([milk["id"], service["id"]])
    assert await found(q="牛奶") == both_milk  # two characters: no trigram, still found
    assert await found(q="纯牛奶") == [milk["id"]]  # three: through the trigram index
    assert await found(q="灭菌纯牛奶") == [milk["id"]]
    assert await found(q="大米") == [rice["id"]]
    assert await found(q="米") == [rice["id"]]
    assert await found(q="籼米 优质") == [rice["id"]]  # every word must match
    assert await found(q="籼米 牛奶") == []
    assert await found(q="q/nnsp 0002s") == [rice["id"]]  # the number, case-insensitively
    assert await found(q="ＮＮＳＰ") == sorted([milk["id"], rice["id"], service["id"]])
    assert await found(q="咖啡") == []
    assert await found(product="牛奶") == [milk["id"]]  # the service covers 鲜奶配送, not 牛奶
    assert await found(product="纯牛奶") == [milk["id"]]
    assert await found(q="牛奶", type="service") == [service["id"]]
    assert await found(uscc=code(2, "350100")) == [rice["id"]]
    assert await found(region="35") == [rice["id"]]
    assert await found(region="4501", q="配送") == [service["id"]]

    hit = (await registry.get("/v1/standards", params={"q": "籼米"})).json()["items"][0]
    assert (hit["enterprise_name"], hit["number"], hit["status"]) == (
        "福州粮油",
        "Q/NNSP 0002S-2026",
        "published",
    )

    await registry.post(
        f"/v1/standards/{rice['id']}/withdrawal",
        json={"reason": "停产"},
        headers=enterprise(tokens, 2, "350100"),
    )
    assert await found(q="大米") == [rice["id"]]  # withdrawn declarations stay visible, as withdrawn
    assert await found(q="大米", status="published") == []
    assert await found(q="大米", status="withdrawn") == [rice["id"]]

    pages, cursor = [], None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = (await registry.get("/v1/standards", params=params)).json()
        pages += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(pages) == sorted([milk["id"], rice["id"], service["id"]])
    assert len(pages) == 3
    assert (await registry.get("/v1/standards", params={"cursor": "bm90LWEtY3Vyc29y"})).status_code == 422


async def test_search_matches_the_current_version_only(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    declaration = await publish(registry, own, code(1), standard_body(title="巴氏杀菌鲜牛奶"))
    assert len((await registry.get("/v1/standards", params={"q": "巴氏杀菌"})).json()["items"]) == 1
    await registry.post(
        f"/v1/standards/{declaration['id']}/revisions",
        json=standard_body(title="全脂灭菌纯牛奶", revision_note="改为灭菌工艺"),
        headers=own,
    )
    assert (await registry.get("/v1/standards", params={"q": "巴氏杀菌"})).json()["items"] == []
    assert len((await registry.get("/v1/standards", params={"q": "灭菌纯牛奶"})).json()["items"]) == 1


async def test_public_search_and_downloads_are_rate_limited_per_client(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    declaration = await publish(registry, reg, code(1), standard_body())
    registry_app.state.rate_limits["search"] = (3, 60)
    assert (await registry.get("/v1/standards", params={"q": "牛奶"})).status_code == 200
    assert (await registry.get(f"/v1/standards/{declaration['id']}/document")).status_code == 200
    assert (await registry.get("/v1/enterprises", params={"q": "测试"})).status_code == 200  # same allowance
    limited = await registry.get("/v1/standards", params={"q": "牛奶"})
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert (await registry.get(f"/v1/standards/{declaration['id']}/document")).status_code == 429
    assert (
        await registry.get(f"/v1/standards/{declaration['id']}")
    ).status_code == 200  # one record: not limited
    clock.advance(timedelta(seconds=int(limited.headers["retry-after"])))
    assert (await registry.get("/v1/standards", params={"q": "牛奶"})).status_code == 200


async def test_the_enterprise_page_shows_its_declared_standards(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1), "南宁市示例乳业有限公司")
    assert "该企业尚未公开自我声明的标准。" in (await registry.get(f"/enterprises/{code(1)}")).text
    milk = await publish(registry, own, code(1), standard_body())
    rice = await publish(registry, own, code(1), rice_body(document=None))
    await registry.post(f"/v1/standards/{rice['id']}/withdrawal", json={"reason": "停产"}, headers=own)
    await registry.post(
        f"/v1/standards/{milk['id']}/flags",
        json={"finding": "under_review", "reason": "接到举报"},
        headers=reg,
    )

    page = (await registry.get(f"/enterprises/{code(1)}")).text
    assert "企业标准自我声明公开" in page
    assert "Q/NNSP 0001S-2026" in page and "全脂灭菌纯牛奶" in page and "全脂纯牛奶、纯牛奶" in page
    assert "公开中 · <strong>核查中</strong>" in page
    assert "已废止" in page and "未公开文本" in page
    assert f'href="/v1/standards/{milk["id"]}/document"' in page
    english = (await registry.get(f"/enterprises/{code(1)}", params={"lang": "en"})).text
    assert "Self-declared standards" in english and "under review" in english and "withdrawn" in english
