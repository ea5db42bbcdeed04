"""The regulator supervises declarations in the console: finds them, reads one against the
mandatory values, records findings (non-compliant with an order to correct and a credit event,
then compliant); an uncorrected one past its day is listed. Spot-check plans and warnings too."""

from __future__ import annotations

from datetime import timedelta

import httpx

from services.common.clock import FrozenClock
from services.common.roles import Role
from tests.console.test_registry_console import DAIRY, seed
from tests.console_support import csrf_of, sign_in
from tests.oidc_provider import Provider
from tests.registry.test_standards import standard_body
from tests.support import Tokens, event_body


async def test_a_regulator_records_findings_on_a_declaration(
    registry_console: httpx.AsyncClient, provider: Provider, tokens: Tokens, clock: FrozenClock
) -> None:
    client = registry_console
    await seed(client, tokens)
    declared = await client.post(
        f"/v1/enterprises/{DAIRY}/standards",
        json=standard_body(),
        headers=tokens(Role.enterprise, uscc=DAIRY),
    )
    assert declared.status_code == 201, declared.text
    standard_id = declared.json()["id"]
    await sign_in(client, provider, "wang")
    listed = await client.get("/console/standards", params={"q": "纯牛奶"})
    assert listed.status_code == 200 and f"/console/standards/{standard_id}" in listed.text
    assert (
        standard_id not in (await client.get("/console/standards", params={"supervision": "compliant"})).text
    )
    page = await client.get(f"/console/standards/{standard_id}")
    assert page.status_code == 200 and "与强制性标准比对" in page.text and "尚无监督结论" in page.text
    token = csrf_of(page.text)

    # An order to correct without its article: the API's rule refuses it, nothing recorded.
    refused = await client.post(
        f"/console/standards/{standard_id}/findings",
        data={
            "csrf": token,
            "finding": "non_compliant",
            "reason": "蛋白质指标低于国标",
            "correction_due_on": "2026-12-20",
        },
    )
    assert refused.status_code == 422 and 'id="refusal"' in refused.text
    flagged = await client.post(
        f"/console/standards/{standard_id}/findings",
        data={
            "csrf": token,
            "finding": "non_compliant",
            "reason": "蛋白质指标低于国标",
            "indicators": "蛋白质",
            "reference": "南市监检〔2026〕3号",
            "correction_due_on": (clock.now() + timedelta(days=10)).date().isoformat(),
            "correction_basis": "art30",
            "record_event": "1",
            "event_severity": "minor",
            "event_authority": "南宁市市场监督管理局",
            "event_source_ref": "南市监检〔2026〕3号",
            "event_occurred_on": "2026-11-20",
        },
    )
    assert flagged.status_code == 303, flagged.text
    shown = (await client.get(flagged.headers["location"])).text
    assert (
        "监督结论已记录" in shown and 'id="supervision">不符合<' in shown and "南市监检〔2026〕3号" in shown
    )
    api = (await client.get(f"/v1/standards/{standard_id}")).json()
    [flag] = api["flags"]
    assert flag["finding"] == "non_compliant" and flag["credit_event_id"] is not None
    events = (
        await client.get(f"/v1/enterprises/{DAIRY}/credit-events", headers=tokens(Role.regulator))
    ).json()
    assert any(
        e["source_ref"] == "南市监检〔2026〕3号" and e["recorded_by"].startswith("regulator:wang")
        for e in events["items"]
    )

    # Past the day, uncorrected: listed on the supervision page.
    clock.advance(timedelta(days=11))
    await sign_in(client, provider, "wang")
    overdue = (await client.get("/console/standards")).text
    assert 'id="uncorrected"' in overdue and standard_id in overdue[overdue.find('id="uncorrected"') :]
    token = csrf_of(overdue)
    cleared = await client.post(
        f"/console/standards/{standard_id}/findings",
        data={"csrf": token, "finding": "compliant", "reason": "已修订标准，复查符合"},
    )
    assert cleared.status_code == 303, cleared.text
    assert 'id="supervision">符合<' in (await client.get(cleared.headers["location"])).text

    # An enterprise has none of this.
    await sign_in(client, provider, "dairy")
    assert (await client.get("/console/standards")).status_code == 403
    assert (await client.get(f"/console/standards/{standard_id}")).status_code == 403


async def test_a_regulator_works_a_warning_into_a_notice_and_a_directed_plan_then_approves_and_draws_it(
    registry_console: httpx.AsyncClient, provider: Provider, tokens: Tokens
) -> None:
    client = registry_console
    await seed(client, tokens)
    reg = tokens(Role.regulator)
    inspectors = []
    for n in range(2):
        made = await client.post(
            "/v1/inspectors",
            json={"name": f"检查员{n}", "badge_no": f"NN-{n}", "region": "45", "specialties": []},
            headers=reg,
        )
        assert made.status_code == 201, made.text
        inspectors.append(made.json()["id"])
    for k in range(3):  # three substantiated complaints: a warning
        fed = await client.post(
            f"/v1/enterprises/{DAIRY}/credit-events",
            json=event_body(f"complaint-console-{k}", kind="complaint_substantiated", severity="minor"),
            headers=tokens(Role.service),
        )
        assert fed.status_code == 201, fed.text
    assert (await client.post("/v1/signal-runs", headers=reg)).json()["raised"] == 1
    [warning] = (await client.get("/v1/warnings", headers=reg)).json()["items"]

    await sign_in(client, provider, "wang")
    listed = await client.get("/console/warnings", params={"status": "open"})
    assert f"/console/warnings/{warning['id']}" in listed.text
    page = await client.get(f"/console/warnings/{warning['id']}")
    assert 'id="warning-status">待研判<' in page.text and "发布消费提示" not in page.text
    token = csrf_of(page.text)
    # A notice before the assessment: the API's rule refuses it.
    early = await client.post(
        f"/console/warnings/{warning['id']}/notices",
        data={
            "csrf": token,
            "authority": "南宁市市场监督管理局",
            "title_zh": "提示",
            "body_zh": "注意",
            "title_en": "Notice",
            "body_en": "Take care",
        },
    )
    assert early.status_code == 409 and 'id="refusal"' in early.text
    assessed = await client.post(
        f"/console/warnings/{warning['id']}/transitions",
        data={"csrf": token, "action": "assess", "note": "投诉集中，需定向抽查"},
    )
    assert assessed.status_code == 303, assessed.text
    page = (await client.get(assessed.headers["location"])).text
    assert "已研判" in page and 'id="assessment">投诉集中，需定向抽查<' in page
    noticed = await client.post(
        f"/console/warnings/{warning['id']}/notices",
        data={
            "csrf": token,
            "authority": "南宁市市场监督管理局",
            "title_zh": "乳制品消费提示",
            "body_zh": "请选购正规渠道产品。",
            "title_en": "Dairy notice",
            "body_en": "Buy from proper shops.",
        },
    )
    assert noticed.status_code == 303, noticed.text
    assert "乳制品消费提示" in (await client.get("/v1/risk-notices")).text
    directed = await client.post(
        f"/console/warnings/{warning['id']}/directed-plan",
        data={"csrf": token, "authority": "南宁市市场监督管理局", "inspector_pool": inspectors},
    )
    assert directed.status_code == 303, directed.text
    plan_path = directed.headers["location"].split("?")[0]
    page = (await client.get(directed.headers["location"])).text
    assert 'id="plan-status">草案<' in page and "定向" in page
    plans = (await client.get("/console/plans", params={"status": "draft"})).text
    assert plan_path in plans
    approved = await client.post(f"{plan_path}/approval", data={"csrf": token})
    assert approved.status_code == 303, approved.text
    page = (await client.get(approved.headers["location"])).text
    assert 'id="plan-status">已批准<' in page and 'id="seed-sha256"' in page
    drawn = await client.post(f"{plan_path}/draw", data={"csrf": token})
    assert drawn.status_code == 303, drawn.text
    page = (await client.get(drawn.headers["location"])).text
    assert 'id="plan-status">已抽取<' in page and DAIRY in page[page.find('id="chosen"') :]
    again = await client.post(f"{plan_path}/draw", data={"csrf": token})
    assert again.status_code == 409
    detail = (await client.get(f"/v1/warnings/{warning['id']}", headers=reg)).json()
    assert {m["kind"] for m in detail["measures"]} == {"notice", "directed_plan"}
    assert any(h.get("by", "").startswith("regulator:wang") for h in detail["history"])
    assert (await client.post(f"{plan_path}/approval", data={})).status_code == 403  # no CSRF token
