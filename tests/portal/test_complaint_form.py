"""The complaint form and the tracking page: forwarded to the complaints service, nothing confidential
shown back, errors in the reader's language, limits and outages answered with a page."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.complaints.categories import load_categories
from services.complaints.database import load_models as complaints_models
from services.registry.app import create_app
from services.registry.database import load_models as registry_models
from services.registry.portal.complaints_client import complaints_client
from services.registry.settings import RegistrySettings
from tests.portal.markup import accessible
from tests.processes import free_port
from tests.support import Backend, Tokens, code, register, running, wipe

NAME = "南宁市示例乳业有限公司"
REPORTER = {"reporter_name": "王小明", "reporter_phone": "13800138000", "reporter_email": "wxm@example.cn"}
TRACKING = re.compile(r'id="tracking-code">([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})<')


def form(**over: str) -> dict[str, str]:
    fields = {
        "kind": "complaint",
        "target_uscc": code(1),
        "target_name": NAME,
        "category": "food_safety",
        "product": "鲜牛奶",
        "description": "购买的鲜牛奶在保质期内变质，商家拒绝退换。",
        **REPORTER,
    }
    fields.update(over)
    return fields


async def test_a_complaint_is_forwarded_and_tracked_without_personal_data(
    portal: httpx.AsyncClient, complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    await register(portal, tokens(Role.regulator), code(1), NAME)
    enterprise = accessible((await portal.get(f"/enterprises/{code(1)}")).text)
    assert f'href="/complaints/new?uscc={code(1)}"' in enterprise.html

    blank = await portal.get(f"/complaints/new?uscc={code(1)}")
    assert blank.status_code == 200
    assert blank.headers["cache-control"] == "no-store"
    page = accessible(blank.text)
    assert page.h1 == "投诉举报"
    assert f'value="{code(1)}"' in page.html and f'value="{NAME}"' in page.html

    filed = await portal.post("/complaints", data=form())
    assert filed.status_code == 200, filed.text
    assert filed.headers["cache-control"] == "no-store"
    page = accessible(filed.text)
    assert page.h1 == "已提交"
    match = TRACKING.search(page.html)
    assert match, page.text
    tracking_code = match.group(1)
    for secret in REPORTER.values():
        assert secret not in page.html

    # The case exists at the complaints service, with the reporter kept there, confidential.
    tracked = await complaints.get(f"/v1/complaints/track/{tracking_code}")
    assert tracked.status_code == 200
    assert tracked.json()["channel"] == "web"
    cases = await complaints.get("/v1/complaints", headers=tokens(Role.handler))
    [case] = cases.json()["items"]
    detail = (await complaints.get(f"/v1/complaints/{case['id']}", headers=tokens(Role.handler))).json()
    assert detail["reporter"] == {"name": "王小明", "phone": "13800138000", "email": "wxm@example.cn"}
    assert detail["target_uscc"] == code(1) and detail["category"] == "food_safety"

    # A handler accepts it with an internal note: the tracking page shows the step, never the note.
    accepted = await complaints.post(
        f"/v1/complaints/{case['id']}/transitions",
        json={"action": "accept", "note": "内部备注：已电话联系投诉人"},
        headers=tokens(Role.handler),
    )
    assert accepted.status_code == 200, accepted.text
    link = re.search(r'href="(/track\?code=[^"]+)"', page.html)
    assert link
    track = await portal.get(link.group(1))
    assert track.status_code == 200
    assert track.headers["cache-control"] == "no-store"
    page = accessible(track.text)
    assert f"案件 {tracking_code}" in page.text
    assert "已受理" in page.text and "已接收" in page.text and "网上" in page.text
    assert "受理决定期限" in page.text
    for secret in (*REPORTER.values(), "内部备注", "保质期内变质"):
        assert secret not in page.html

    # Codes are read the way people type them: lower case, spaces for dashes.
    relaxed = await portal.get("/track", params={"code": tracking_code.lower().replace("-", " ")})
    assert relaxed.status_code == 200
    assert f"案件 {tracking_code}" in accessible(relaxed.text).text
    english = accessible((await portal.get(link.group(1) + "&lang=en")).text)
    assert "accepted" in english.text and "online" in english.text


async def test_a_real_name_report_shows_its_claim_secret_once_and_the_registry_keeps_none(
    portal: httpx.AsyncClient, complaints: httpx.AsyncClient, tokens: Tokens, registry_app: FastAPI
) -> None:
    await register(portal, tokens(Role.regulator), code(1), NAME)
    filed = await portal.post("/complaints", data=form(kind="report"))
    assert filed.status_code == 200, filed.text
    assert filed.headers["cache-control"] == "no-store"
    page = accessible(filed.text)
    secret = re.search(r'id="claim-secret">([^<]+)<', page.html)
    assert secret, page.text
    assert "领奖密码" in page.text
    # The registry's database holds neither the secret nor the reporter: it only passed them on.
    dump = await _every_row(registry_app)
    for value in (secret.group(1), *REPORTER.values()):
        assert value not in dump
    blank = {"reporter_name": "", "reporter_phone": "", "reporter_email": ""}
    anonymous = accessible((await portal.post("/complaints", data=form(kind="report", **blank))).text)
    assert anonymous.h1 == "已提交" and 'id="claim-secret"' not in anonymous.html


async def _every_row(app: FastAPI) -> str:
    async with app.state.engine.connect() as conn:
        rows = [str((await conn.execute(table.select())).all()) for table in registry_models().sorted_tables]
    return "\n".join(rows)


async def test_an_anonymous_report_needs_no_contact(portal: httpx.AsyncClient) -> None:
    filed = await portal.post(
        "/complaints",
        data=form(
            kind="report", target_uscc="", reporter_name="", reporter_phone="", reporter_email="", lang="en"
        ),
    )
    assert filed.status_code == 200, filed.text
    assert TRACKING.search(filed.text)


async def test_a_second_report_on_the_same_enterprise_reads_like_the_first(
    portal: httpx.AsyncClient,
) -> None:
    """The enterprise itself can file a report: the answer must not tell it one is already open."""
    report = form(kind="report", reporter_name="", reporter_phone="", reporter_email="")
    pages = []
    for _ in range(2):
        filed = await portal.post("/complaints", data=report)
        assert filed.status_code == 200, filed.text
        match = TRACKING.search(filed.text)
        assert match
        pages.append(accessible(filed.text).text.replace(match.group(1), "CODE"))
    assert pages[0] == pages[1]
    assert "合并" not in pages[1] and "已有案件" not in pages[1]


async def test_the_form_offers_the_configured_category_codes_with_labels(portal: httpx.AsyncClient) -> None:
    options = re.compile(r'<option value="([^"]*)"[^>]*>([^<]*)</option>')
    chinese = options.findall((await portal.get("/complaints/new")).text)
    english = options.findall((await portal.get("/complaints/new?lang=en")).text)
    codes = [c.code for c in load_categories()]
    assert [value for value, _ in chinese] == codes == [value for value, _ in english]
    assert ("food_safety", "食品安全") in chinese and ("food_safety", "food safety") in english
    assert ("other", "其他") in chinese
    # A value the list does not have (free text, an old form's label) is refused before it is sent.
    for value in ("食品安全", "牛奶有问题"):
        refused = await portal.post("/complaints", data=form(category=value))
        assert refused.status_code == 422
        assert "请从列表中选择问题类别" in accessible(refused.text).text


async def test_form_errors_are_shown_in_the_readers_language_with_the_input_kept(
    portal: httpx.AsyncClient, complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    missing = await portal.post(
        "/complaints",
        data=form(target_uscc="", target_name="", description="短", reporter_phone="", reporter_email=""),
    )
    assert missing.status_code == 422
    page = accessible(missing.text)
    assert "请修改以下问题后重新提交" in page.text
    assert "请填写企业代码或企业名称" in page.text
    assert "请至少写 5 个字" in page.text
    assert "投诉需要填写姓名，以及电话或电子邮箱" in page.text
    assert 'id="target_uscc" name="target_uscc" value=""' in page.html
    assert re.search(r'id="description"[^>]*aria-describedby="description-hint description-error"', page.html)
    assert re.search(r'id="description"[^>]*aria-invalid="true"', page.html)
    assert 'value="王小明"' in page.html  # what the reader typed comes back to them, and only to them

    bad_code = await portal.post("/complaints?lang=en", data=form(target_uscc="91450100000000019X"))
    assert bad_code.status_code == 422
    assert "is not a valid unified social credit code" in accessible(bad_code.text).text

    # A rule only the complaints service knows: its reason lands next to the field it names.
    bad_phone = await portal.post("/complaints", data=form(reporter_phone="电话号码"))
    assert bad_phone.status_code == 422
    page = accessible(bad_phone.text)
    assert "办理系统拒绝了此项" in page.text
    assert re.search(r'id="reporter_phone"[^>]*aria-invalid="true"', page.html)
    assert (await complaints.get("/v1/complaints", headers=tokens(Role.handler))).json()["items"] == []


async def test_the_body_sent_is_the_public_api_contract_with_the_callers_address(
    registry: httpx.AsyncClient, registry_app: FastAPI
) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            201,
            json={
                "id": "00000000-0000-0000-0000-000000000001",
                "tracking_code": "K7QM-2XWD-9HCT-P4RA",
                "kind": "complaint",
                "status": "received",
                "deadlines": {
                    "accept_by": {
                        "at": "2026-12-01T15:59:59Z",
                        "provisional": False,
                        "legal_basis": "《市场监督管理投诉举报处理办法》第十五条",
                    },
                    "resolve_by": None,
                    "extended": False,
                    "legal_basis": [],
                },
            },
        )

    async def mocked() -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://c") as client:
            yield client

    registry_app.dependency_overrides[complaints_client] = mocked
    filed = await registry.post("/complaints", data={**form(), "unexpected": "x"})
    assert filed.status_code == 200, filed.text
    assert "K7QM-2XWD-9HCT-P4RA" in filed.text
    assert "2026-12-01 23:59" in filed.text  # the deadline in Beijing time
    [request] = seen
    assert request.method == "POST" and request.url.path == "/v1/complaints"
    assert request.headers["x-forwarded-for"] == "127.0.0.1"
    assert json.loads(request.content) == {
        "kind": "complaint",
        "channel": "web",
        "target_uscc": code(1),
        "target_name": NAME,
        "category": "food_safety",
        "product": "鲜牛奶",
        "description": "购买的鲜牛奶在保质期内变质，商家拒绝退换。",
        "reporter": {"name": "王小明", "phone": "13800138000", "email": "wxm@example.cn"},
    }


async def test_an_unreachable_complaints_service_answers_a_page(
    registry: httpx.AsyncClient, registry_app: FastAPI
) -> None:
    port = free_port()

    async def unreachable() -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as client:
            yield client

    registry_app.dependency_overrides[complaints_client] = unreachable
    filed = await registry.post("/complaints", data=form())
    assert filed.status_code == 503
    assert "投诉举报系统暂时无法连接" in accessible(filed.text).text
    tracked = await registry.get("/track?code=K7QM-2XWD-9HCT-P4RA")
    assert tracked.status_code == 503


async def test_tracking_answers_unknown_and_malformed_codes(portal: httpx.AsyncClient) -> None:
    empty = await portal.get("/track")
    assert empty.status_code == 200
    assert accessible(empty.text).h1 == "办理进度查询"
    unknown = await portal.get("/track?code=AAAA-BBBB-CCCC-DDDD")
    assert unknown.status_code == 404
    assert "没有找到该查询码对应的案件" in accessible(unknown.text).text
    malformed = await portal.get("/track", params={"code": "../../v1/complaints"})
    assert malformed.status_code == 422
    assert "查询码由字母和数字组成" in accessible(malformed.text).text


@pytest.fixture
async def strict_portal(
    backend: Backend, keys_dir: Path, clock: FrozenClock, complaints_app: FastAPI
) -> AsyncIterator[httpx.AsyncClient]:
    settings = RegistrySettings(
        environment="test",
        data_dir=keys_dir,
        database_url=backend.registry_url,
        db_pool_size=5,
        portal_complaint_rate=(2, 60),
    )
    app = create_app(settings, clock=clock)

    async def to_complaints() -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=complaints_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://complaints") as client:
            yield client

    app.dependency_overrides[complaints_client] = to_complaints
    async with running(complaints_app), running(app) as client:
        try:
            yield client
        finally:
            await wipe(complaints_app.state.engine, complaints_models())


async def test_the_portal_limits_filings_per_client(strict_portal: httpx.AsyncClient) -> None:
    for _ in range(2):
        assert (await strict_portal.post("/complaints", data=form(kind="report"))).status_code == 200
    limited = await strict_portal.post("/complaints", data=form(kind="report"))
    assert limited.status_code == 429
    assert limited.headers["retry-after"].isdigit()
    assert "请求过于频繁" in accessible(limited.text).text
