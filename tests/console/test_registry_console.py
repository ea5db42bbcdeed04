"""The registry's consoles without a browser: the enterprise's credit file, declarations with a real
file upload, its statement and repair application, its access log; nothing of another enterprise;
the regulator's due list, credit events, list steps, repair decisions and audit verification."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx

from services.common.clock import FrozenClock
from services.common.roles import Role
from tests.console_support import csrf_of, sign_in
from tests.oidc_provider import Provider
from tests.portal.seed import BLACK, CONSENT
from tests.registry.test_standards import PDF, PNG
from tests.support import Tokens, code, event_body

DAIRY = code(701)  # the provider's "dairy" person works for this enterprise
OTHER = code(702)
INDICATORS = "\n".join(
    [
        "蛋白质 | >= | 3.1 | g/100g | GB 5009.5",
        "铅 | <= | 0.02 | mg/kg | GB 5009.12",
        "非脂乳固体 | >= | 8.1 | g/100g | GB 5413.39",
    ]
)


async def _ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return dict(response.json())


async def seed(api: httpx.AsyncClient, tokens: Tokens) -> dict[str, str]:
    """Two enterprises; the dairy with a severe failed spot check and a black-list notice served."""
    reg = tokens(Role.regulator)
    for uscc, name in ((DAIRY, "南宁市示例乳业有限公司"), (OTHER, "南宁市示例食品有限公司")):
        await _ok(await api.post("/v1/enterprises", json={"uscc": uscc, "name": name}, headers=reg), 201)
    await _ok(await api.post(f"/v1/enterprises/{DAIRY}/credit-events", json=event_body(), headers=reg), 201)
    entry = await _ok(await api.post("/v1/list-entries", json={**BLACK, "uscc": DAIRY}, headers=reg), 201)
    steps = f"/v1/list-entries/{entry['id']}/transitions"
    await _ok(await api.post(steps, json={"action": "serve_notice"}, headers=reg))
    other = await _ok(
        await api.post(
            "/v1/list-entries",
            json={**BLACK, "uscc": OTHER, "decision_no": "南市监罚〔2026〕99号"},
            headers=reg,
        ),
        201,
    )
    return {"entry": entry["id"], "other_entry": other["id"]}


def _declaration(number: str = "Q/NNSP 0001S-2026") -> dict[str, str]:
    return {
        "number": number,
        "title": "全脂灭菌纯牛奶",
        "type": "product",
        "products": "全脂纯牛奶\n纯牛奶",
        "indicators": INDICATORS,
        "implemented_on": "2026-12-01",
    }


async def test_an_enterprise_sees_its_file_answers_its_notice_and_declares_a_standard_with_a_pdf(
    registry_console: httpx.AsyncClient, provider: Provider, tokens: Tokens
) -> None:
    client = registry_console
    ids = await seed(client, tokens)
    await sign_in(client, provider, "dairy")
    home = (await client.get("/console/")).text
    assert "本企业质量信用档案" in home and 'id="grade">C<' in home
    notices = (await client.get("/console/notices")).text
    assert ids["entry"] in notices and ids["other_entry"] not in notices
    notice = await client.get(f"/console/notices/{ids['entry']}")
    stated = await client.post(
        f"/console/notices/{ids['entry']}/statements",
        data={"csrf": csrf_of(notice.text), "text": "我司已召回全部产品并整改。", "hearing_requested": "1"},
    )
    assert stated.status_code == 303
    assert "我司已召回全部产品并整改。" in (await client.get(stated.headers["location"])).text

    token = csrf_of((await client.get("/console/declarations/new")).text)
    # Not a PDF (a PNG named .pdf): refused by its content, nothing published.
    refused = await client.post(
        "/console/declarations",
        data={"csrf": token, **_declaration()},
        files={"document": ("企业标准.pdf", PNG, "application/pdf")},
    )
    assert refused.status_code == 422 and 'id="refusal"' in refused.text
    # Larger than allowed: refused by the same size rule as the API.
    too_big = await client.post(
        "/console/declarations",
        data={"csrf": token, **_declaration()},
        files={"document": ("企业标准.pdf", PDF + b"0" * 800_000, "application/pdf")},
    )
    assert too_big.status_code == 413
    published = await client.post(
        "/console/declarations",
        data={"csrf": token, **_declaration()},
        files={"document": ("企业标准.pdf", PDF, "application/pdf")},
    )
    assert published.status_code == 303, published.text
    page = (await client.get(published.headers["location"])).text
    assert 'id="declaration-status"' in page and "已公开" in page and 'id="document-sha256"' in page
    standard_id = published.headers["location"].split("/")[-1].split("?")[0]
    api = await _ok(await client.get(f"/v1/standards/{standard_id}/document")) if False else None  # noqa: F841
    document = await client.get(f"/v1/standards/{standard_id}/document")
    assert document.status_code == 200 and document.content == PDF

    revised = await client.post(
        f"/console/declarations/{standard_id}/revisions",
        data={"csrf": token, **_declaration(), "base_version": "1", "revision_note": "调整蛋白质指标"},
    )
    assert revised.status_code == 303, revised.text
    assert 'id="version">2<' in (await client.get(revised.headers["location"])).text
    withdrawn = await client.post(
        f"/console/declarations/{standard_id}/withdrawal", data={"csrf": token, "reason": "产品停产"}
    )
    assert withdrawn.status_code == 303
    assert "已废止" in (await client.get(withdrawn.headers["location"])).text
    assert (await client.get("/console/access-log")).status_code == 200


async def test_an_enterprise_reaches_nothing_of_another_enterprise(
    registry_console: httpx.AsyncClient, provider: Provider, tokens: Tokens
) -> None:
    client = registry_console
    ids = await seed(client, tokens)
    other_std = await _ok(
        await client.post(
            f"/v1/enterprises/{OTHER}/standards",
            json={
                "number": "Q/NNSP 0009S-2026",
                "title": "面包",
                "type": "product",
                "products": ["面包"],
                "implemented_on": "2026-12-01",
                "indicators": [
                    {"name": "水分", "comparator": "<=", "value": "40", "test_method": "GB 5009.3"}
                ],
            },
            headers=tokens(Role.enterprise, uscc=OTHER),
        ),
        201,
    )
    await sign_in(client, provider, "dairy")
    token = csrf_of((await client.get("/console/")).text)
    assert (await client.get(f"/console/notices/{ids['other_entry']}")).status_code == 403
    assert (await client.get(f"/console/declarations/{other_std['id']}")).status_code == 403
    stated = await client.post(
        f"/console/notices/{ids['other_entry']}/statements", data={"csrf": token, "text": "冒充他人陈述"}
    )
    assert stated.status_code == 403
    withdrawn = await client.post(
        f"/console/declarations/{other_std['id']}/withdrawal", data={"csrf": token, "reason": "冒充他人撤销"}
    )
    assert withdrawn.status_code == 403
    assert (await client.get(f"/console/enterprises/{OTHER}")).status_code == 403  # the regulator's page


async def test_a_regulator_sees_what_is_due_records_and_revokes_events_and_decides_repairs(
    registry_console: httpx.AsyncClient, provider: Provider, tokens: Tokens, clock: FrozenClock
) -> None:
    client = registry_console
    ids = await seed(client, tokens)
    await sign_in(client, provider, "wang")
    home = await client.get("/console/")
    assert home.status_code == 200 and "待办事项" in home.text
    token = csrf_of(home.text)
    found = (await client.get("/console/enterprises", params={"q": "乳业"})).text
    assert DAIRY in found and OTHER not in found
    recorded = await client.post(
        f"/console/enterprises/{DAIRY}/credit-events",
        data={
            "csrf": token,
            "kind": "spot_check_failed",
            "severity": "minor",
            "authority": "南宁市市场监督管理局",
            "source_ref": "南市监抽〔2026〕7号",
            "occurred_on": "2026-11-10",
        },
    )
    assert recorded.status_code == 303, recorded.text
    page = (await client.get(recorded.headers["location"])).text
    assert "南市监抽〔2026〕7号" in page and "信用事件已记录" in page
    events = (
        await client.get(f"/v1/enterprises/{DAIRY}/credit-events", headers=tokens(Role.regulator))
    ).json()
    event = next(e for e in events["items"] if e["source_ref"] == "南市监抽〔2026〕7号")
    assert event["recorded_by"].startswith("regulator:wang")
    revoked = await client.post(
        f"/console/credit-events/{event['id']}/revocation", data={"csrf": token, "reason": "复议撤销"}
    )
    assert revoked.status_code == 303
    # The list entry: consent, then (after the defence period) list; then the enterprise applies for repair.
    moved = await client.post(
        f"/console/list-entries/{ids['entry']}/transitions",
        data={
            "csrf": token,
            "action": "record_consent",
            "reference": "桂市监函〔2026〕1号",
            "approving_authority": CONSENT["approving_authority"],
        },
    )
    assert moved.status_code == 303, moved.text
    audit = (await client.get("/console/audit")).text
    assert 'id="audit-status"' in audit and "完整" in audit

    # After the defence period the entry is listed; a year on, the enterprise applies for repair in
    # its console and the regulator accepts and approves it in theirs.
    detail = (await client.get(f"/v1/list-entries/{ids['entry']}", headers=tokens(Role.regulator))).json()
    clock.set(datetime.fromisoformat(detail["defence_due_at"]) + timedelta(seconds=1))
    await sign_in(client, provider, "wang")
    token = csrf_of((await client.get("/console/")).text)
    listed = await client.post(
        f"/console/list-entries/{ids['entry']}/transitions", data={"csrf": token, "action": "list"}
    )
    assert listed.status_code == 303, listed.text
    clock.advance(timedelta(days=370))
    await sign_in(client, provider, "dairy")
    notice = await client.get(f"/console/notices/{ids['entry']}")
    applied = await client.post(
        f"/console/notices/{ids['entry']}/repair",
        data={
            "csrf": csrf_of(notice.text),
            "evidence": "罚款已缴清；不合格产品已召回并销毁；整改报告附后。",
            "penalty_fulfilled": "1",
            "harm_removed": "1",
            "no_further_heavy_penalty": "1",
        },
    )
    assert applied.status_code == 303, applied.text
    await sign_in(client, provider, "wang")
    repairs = await client.get("/console/repairs")
    token = csrf_of(repairs.text)
    [application] = (await client.get("/v1/repair-applications", headers=tokens(Role.regulator))).json()[
        "items"
    ]
    home = (await client.get("/console/")).text
    assert application["uscc"] in home, home[home.find("rep-h") :][
        :800
    ]  # near its deadline, on the home page
    accepted = await client.post(
        f"/console/repairs/{application['id']}/acceptance", data={"csrf": token, "decision": "accept"}
    )
    assert accepted.status_code == 303, accepted.text
    approved = await client.post(
        f"/console/repairs/{application['id']}/decision",
        data={"csrf": token, "decision": "approve", "reasons": "整改到位，准予提前移出"},
    )
    assert approved.status_code == 303, approved.text
    status = (await client.get(f"/v1/list-entries/{ids['entry']}", headers=tokens(Role.regulator))).json()
    assert status["status"] == "removed" and status["exit_kind"] == "repaired"


async def test_registry_console_forms_need_the_csrf_token_and_sessions_expire(
    registry_console: httpx.AsyncClient, provider: Provider, tokens: Tokens, clock: FrozenClock
) -> None:
    client = registry_console
    ids = await seed(client, tokens)
    await sign_in(client, provider, "dairy")
    forged = await client.post(f"/console/notices/{ids['entry']}/statements", data={"text": "没有令牌的陈述"})
    assert forged.status_code == 403 and "表单已失效" in forged.text
    entry = (await client.get(f"/v1/list-entries/{ids['entry']}", headers=tokens(Role.regulator))).json()
    assert entry["statements"] == []
    clock.advance(timedelta(hours=8, seconds=1))
    assert (await client.get("/console/notices")).status_code == 303


async def test_a_regulator_proposes_a_listing_and_answers_the_enterprise_s_statement(
    registry_console: httpx.AsyncClient, provider: Provider, tokens: Tokens
) -> None:
    client = registry_console
    ids = await seed(client, tokens)
    await _ok(
        await client.post(
            f"/v1/list-entries/{ids['entry']}/statements",
            json={"text": "我司已召回全部产品", "hearing_requested": False},
            headers=tokens(Role.enterprise, uscc=DAIRY),
        ),
        201,
    )
    await sign_in(client, provider, "wang")
    page = await client.get(f"/console/enterprises/{DAIRY}")
    assert "我司已召回全部产品" in page.text
    [statement_id] = re.findall(r'/statements/([0-9a-f-]{36})/reply"', page.text)
    token = csrf_of(page.text)
    answered = await client.post(
        f"/console/list-entries/{ids['entry']}/statements/{statement_id}/reply",
        data={"csrf": token, "reply": "召回不影响违法事实的认定"},
    )
    assert answered.status_code == 303, answered.text
    assert "召回不影响违法事实的认定" in (await client.get(answered.headers["location"])).text
    proposed = await client.post(
        f"/console/enterprises/{OTHER}/list-entries",
        data={
            "csrf": token,
            "list": "black",
            "reason": "生产销售不合格产品，情节严重",
            "legal_basis": "《市场监督管理严重违法失信名单管理办法》第二条",
            "decision_no": "南市监罚〔2026〕123号",
            "authority": "南宁市市场监督管理局",
            "authority_division": "450100",
            "decided_on": "2026-11-02",
        },
    )
    assert proposed.status_code == 303, proposed.text
    entries = await client.get(f"/v1/enterprises/{OTHER}/list-entries", headers=tokens(Role.regulator))
    assert any(
        e["decision_no"] == "南市监罚〔2026〕123号" and e["proposed_by"].startswith("regulator:wang")
        for e in entries.json()["items"]
    )
