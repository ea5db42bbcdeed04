"""Portal pages read with httpx: search, the enterprise's public file, the lists, language, headers."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.common.workdays import CHINA
from tests.portal.markup import Page, accessible
from tests.portal.seed import BLACK, INTERNAL_NOTE, RED, blacklist, redlist
from tests.support import Tokens, code, event_body, register

NAME = "南宁市示例乳业有限公司"


async def html(client: httpx.AsyncClient, url: str, status: int = 200, **kwargs: object) -> Page:
    response = await client.get(url, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return accessible(response.text)


async def test_home_is_chinese_first_and_english_on_request(registry: httpx.AsyncClient) -> None:
    zh = await html(registry, "/")
    assert zh.lang == "zh-CN"
    assert zh.h1 == "查询企业质量信用"
    assert "统一社会信用代码或企业名称" in zh.text

    en = await html(registry, "/?lang=en")
    assert en.lang == "en"
    assert en.h1 == "Look up an enterprise's quality credit"
    # Once chosen explicitly, the language travels with every link and form.
    assert 'href="/lists/black?lang=en"' in en.html
    assert '<input type="hidden" name="lang" value="en">' in en.html

    by_header = await html(registry, "/", headers={"Accept-Language": "fr-FR, en-GB;q=0.8, zh;q=0.5"})
    assert by_header.lang == "en"
    assert 'href="/lists/black"' in by_header.html
    zh_header = await html(registry, "/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert zh_header.lang == "zh-CN"
    assert (await html(registry, "/?lang=zh", headers={"Accept-Language": "en"})).lang == "zh-CN"


async def test_pages_carry_security_headers_and_stay_out_of_the_api_schema(
    registry: httpx.AsyncClient, registry_app: FastAPI
) -> None:
    response = await registry.get("/")
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "form-action 'self'" in csp
    assert "script-src" not in csp  # no script is allowed at all
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-language"] == "zh-CN"
    assert "Accept-Language" in headers["vary"]

    css_url = re.search(r'href="(/static/portal\.css\?v=[0-9a-f]+)"', response.text)
    assert css_url
    css = await registry.get(css_url.group(1))
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]

    paths = (await registry.get("/openapi.json")).json()["paths"]
    for html_path in ("/", "/search", "/enterprises/{code}", "/lists/{name}", "/complaints", "/track"):
        assert html_path not in paths
    assert "/v1/lists/{list_name}" in paths


async def test_search_by_code_opens_the_enterprise_and_by_name_lists_matches(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1), NAME)
    await register(registry, reg, code(2), "南宁市示例食品有限公司")
    await register(registry, reg, code(3), "柳州市机械厂")

    by_code = await registry.get("/search", params={"q": f"  {code(1).lower()} "})
    assert by_code.status_code == 303
    assert by_code.headers["location"] == f"/enterprises/{code(1)}"
    by_code_en = await registry.get("/search", params={"q": code(1), "lang": "en"})
    assert by_code_en.headers["location"] == f"/enterprises/{code(1)}?lang=en"

    found = await html(registry, "/search?q=示例")
    assert found.h1 == "“示例”的查询结果"
    assert f'href="/enterprises/{code(1)}"' in found.html
    assert f'href="/enterprises/{code(2)}"' in found.html
    assert code(3) not in found.html
    assert "广西壮族自治区" in found.text

    missing_code = code(99)
    none = await html(registry, f"/search?q={missing_code}")
    assert f"没有找到统一社会信用代码为 {missing_code} 的企业" in none.text
    nothing = await html(registry, "/search?q=不存在的名字")
    assert "没有找到名称包含“不存在的名字”的企业" in nothing.text
    empty = await html(registry, "/search?q=", status=400)
    assert "请输入代码或名称" in empty.text


async def test_search_pages_through_many_matches(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    for n in range(1, 23):
        await register(registry, reg, code(n), f"南宁市第{n}食品厂")
    first = await html(registry, "/search?q=食品厂")
    assert first.html.count('class="name"') == 20
    next_link = re.search(r'href="(/search\?q=[^"]+after=[^"]+)"', first.html)
    assert next_link
    second = await html(registry, next_link.group(1).replace("&amp;", "&"))
    assert second.html.count('class="name"') == 2
    assert "下一页" not in second.text


async def test_enterprise_page_explains_the_grade_and_draws_its_history(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1), NAME, address="南宁市青秀区民族大道 1 号（不公开）")
    # 20:00 UTC on 31 October is 04:00 on 1 November in Beijing.
    event = event_body(occurred_at="2026-10-31T20:00:00Z", summary="内部摘要：抽检人员意见，不公开")
    recorded = await registry.post(f"/v1/enterprises/{code(1)}/credit-events", json=event, headers=reg)
    assert recorded.status_code == 201, recorded.text
    award = event_body(source_ref="桂质奖〔2026〕2号", kind="award", severity="major")
    assert (
        await registry.post(f"/v1/enterprises/{code(1)}/credit-events", json=award, headers=reg)
    ).status_code == 201

    page = await html(registry, f"/enterprises/{code(1)}")
    assert page.h1 == NAME
    assert [text for level, text in page.headings if level == 2] == [
        "信用等级",
        "名单状态",
        "企业标准自我声明公开",
        "信用等级变化",
    ]
    assert code(1) in page.text
    assert "广西壮族自治区" in page.text
    assert re.search(r'id="grade"[^>]*>.*?B</p>', page.html, re.S)
    assert "B类（信用风险一般）" in page.text
    assert "信用分 75" in page.text  # 100 - 30 + 5
    assert "依据评分规则 2026.1，起始分为 100 分；下列 2 条有效信用记录合计 -25 分，得分 75 分" in page.text
    assert "监督抽查不合格" in page.text and "严重" in page.text and "-30" in page.text
    assert "质量奖励表彰" in page.text and "省级" in page.text and "+5" in page.text
    assert "罚字〔2026〕1号" in page.text and "南宁市市场监督管理局" in page.text
    assert "2026-11-01" in page.text and "2026-10-31" not in page.text
    assert "该企业目前不在严重违法失信名单或守信激励名单上" in page.text
    # The chart: an accessible SVG with one point per grade change, and the same data as a table.
    svg = re.search(r"<svg[^>]*>.*?</svg>", page.html, re.S)
    assert svg
    assert 'role="img"' in svg.group(0) and "aria-labelledby" in svg.group(0)
    assert svg.group(0).count("<circle") == 3
    assert "信用分从 100 变为 75，共 3 次变化" in svg.group(0)
    assert "登记入库" in page.text and "新增信用记录" in page.text
    # Never on a public page: the address, the event's internal summary.
    assert "民族大道" not in page.html
    assert "内部摘要" not in page.html
    assert f'href="/complaints/new?uscc={code(1)}"' in page.html

    english = await html(registry, f"/enterprises/{code(1)}?lang=en")
    assert "Why this grade" in english.text
    assert "failed product-quality spot check" in english.text
    assert "provincial" in english.text
    assert "Under rules 2026.1 every enterprise starts at 100" in english.text


async def test_enterprise_page_shows_active_list_entries_without_internal_notes(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1), NAME)
    listed = await blacklist(registry, tokens, clock, code(1))
    assert listed["status"] == "listed"

    page = await html(registry, f"/enterprises/{code(1)}")
    assert "严重违法失信名单" in [text for level, text in page.headings if level == 3]
    for value in (BLACK["reason"], BLACK["legal_basis"], BLACK["decision_no"], BLACK["authority"]):
        assert value in page.text
    assert "2026-11-02" in page.text  # decided, local date
    for moment in ("listed_at", "expires_at"):
        local = datetime.fromisoformat(listed[moment]).astimezone(CHINA).strftime("%Y-%m-%d")
        assert local in page.text
    assert INTERNAL_NOTE not in page.html

    found = await html(registry, "/search?q=示例乳业")
    assert "严重违法失信名单" in found.text


async def test_public_lists_filter_and_page(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1), NAME)
    await register(registry, reg, code(2, "330100"), "杭州市示例电器有限公司")
    await blacklist(registry, tokens, clock, code(1))
    hangzhou = {"decision_no": "杭市监罚〔2026〕3号", "authority": "杭州市市场监督管理局"}
    await blacklist(registry, tokens, clock, code(2, "330100"), **hangzhou)

    black = await html(registry, "/lists/black")
    assert black.h1 == "严重违法失信名单"
    assert NAME in black.text and "杭州市示例电器有限公司" in black.text
    assert BLACK["reason"] in black.text
    assert INTERNAL_NOTE not in black.html
    by_region = await html(registry, "/lists/black?region=45")
    assert NAME in by_region.text and "杭州市示例电器有限公司" not in by_region.text
    assert '<option value="45" selected>' in by_region.html
    by_authority = await html(registry, "/lists/black?authority=杭州")
    assert NAME not in by_authority.text and "杭州市示例电器有限公司" in by_authority.text
    assert "没有符合条件的名单记录" in (await html(registry, "/lists/black?region=11")).text
    assert NAME not in (await html(registry, "/lists/red")).text

    for n in range(10, 31):
        await register(registry, reg, code(n), f"南宁市守信企业{n}号")
        await redlist(registry, tokens, code(n), decision_no=f"桂质奖〔2026〕{n}号")
    red = await html(registry, "/lists/red")
    assert red.h1 == "守信激励名单"
    assert red.html.count("<tr>") == 1 + 20
    assert RED["reason"] in red.text
    cursor = re.search(r'href="(/lists/red\?cursor=[^"]+)"', red.html)
    assert cursor
    rest = await html(registry, cursor.group(1))
    assert rest.html.count("<tr>") == 1 + 1
    assert "第一页" in rest.text
    # A cursor that was never issued reads as the first page, not as an error.
    assert (await html(registry, "/lists/red?cursor=bm9wZQ")).html.count("<tr>") == 1 + 20
    await html(registry, "/lists/grey", status=404)


async def test_unknown_and_malformed_codes_answer_a_page(registry: httpx.AsyncClient) -> None:
    unknown = await html(registry, f"/enterprises/{code(42)}", status=404)
    assert f"没有找到统一社会信用代码为 {code(42)} 的企业" in unknown.text
    malformed = await html(registry, "/enterprises/NOT-A-CODE?lang=en", status=404)
    assert "is not a valid unified social credit code" in malformed.text
    escaped = await html(registry, "/enterprises/%3Cb%3Ehi", status=404)
    assert "<b>hi" not in escaped.html and "&lt;B&gt;HI" in escaped.html
