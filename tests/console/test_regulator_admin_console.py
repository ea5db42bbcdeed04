"""The regulator registers and edits enterprises in the console (a pilot code only with a recorded
reason); the enterprise issues its credit report and downloads the PDF; neither reaches the other's
pages, and another enterprise's report is refused."""

from __future__ import annotations

import httpx

from services.common.roles import Role
from tests.console.test_registry_console import DAIRY, OTHER, seed
from tests.console_support import csrf_of, sign_in
from tests.oidc_provider import Provider
from tests.support import Tokens, code

PILOT = "91350100M0001TGQXM"  # a 2015 pilot code whose check character fails


async def test_a_regulator_registers_an_enterprise_edits_it_and_overrides_a_pilot_code_with_a_reason(
    registry_console: httpx.AsyncClient, provider: Provider, tokens: Tokens
) -> None:
    client = registry_console
    await sign_in(client, provider, "wang")
    page = await client.get("/console/enterprises")
    assert "登记企业" in page.text
    token = csrf_of(page.text)
    fresh = code(731)
    registered = await client.post(
        "/console/enterprises",
        data={"csrf": token, "uscc": fresh, "name": "南宁市新登记乳品有限公司", "address": "南宁市青秀区"},
    )
    assert registered.status_code == 303, registered.text
    shown = (await client.get(registered.headers["location"])).text
    assert "企业已登记" in shown and "南宁市新登记乳品有限公司" in shown and "南宁市青秀区" in shown
    api = (await client.get(f"/v1/enterprises/{fresh}", headers=tokens(Role.regulator))).json()
    assert api["created_by"].startswith("regulator:wang")

    # Registered twice: the API's conflict, as a page.
    again = await client.post("/console/enterprises", data={"csrf": token, "uscc": fresh, "name": "重复"})
    assert again.status_code == 409 and 'id="refusal"' in again.text

    # A pilot code fails the check character: refused, then registered with the reason recorded.
    refused = await client.post(
        "/console/enterprises", data={"csrf": token, "uscc": PILOT, "name": "试点企业"}
    )
    assert refused.status_code == 422 and 'id="refusal"' in refused.text
    assert (await client.get(f"/v1/enterprises/{PILOT}")).status_code == 404
    overridden = await client.post(
        "/console/enterprises",
        data={
            "csrf": token,
            "uscc": PILOT,
            "name": "试点企业",
            "override_reason": "2015年试点赋码，经省局核实",
        },
    )
    assert overridden.status_code == 303, overridden.text
    assert (
        'id="override-reason">2015年试点赋码，经省局核实<'
        in (await client.get(overridden.headers["location"])).text
    )
    full = (await client.get(f"/v1/enterprises/{PILOT}", headers=tokens(Role.regulator))).json()
    assert full["check_override_reason"] == "2015年试点赋码，经省局核实"
    audit = (await client.get("/v1/audit", params={"uscc": PILOT}, headers=tokens(Role.regulator))).json()
    [entry] = [e for e in audit["items"] if "2015年试点赋码" in str(e["data"])]
    assert entry["actor"].startswith("regulator:wang")

    edited = await client.post(
        f"/console/enterprises/{fresh}/details",
        data={"csrf": token, "name": "南宁市新登记乳业有限公司", "address": "", "status": "deregistered"},
    )
    assert edited.status_code == 303, edited.text
    after = (await client.get(edited.headers["location"])).text
    assert "企业信息已保存" in after and 'id="enterprise-status">已注销<' in after
    api = (await client.get(f"/v1/enterprises/{fresh}", headers=tokens(Role.regulator))).json()
    assert (api["name"], api["address"], api["status"]) == ("南宁市新登记乳业有限公司", None, "deregistered")

    forged = await client.post(f"/console/enterprises/{fresh}/details", data={"name": "没有令牌"})
    assert forged.status_code == 403 and "表单已失效" in forged.text


async def test_an_enterprise_issues_its_credit_report_and_downloads_the_pdf(
    registry_console: httpx.AsyncClient, provider: Provider, tokens: Tokens
) -> None:
    client = registry_console
    await seed(client, tokens)
    other = await client.post(
        f"/v1/enterprises/{OTHER}/credit-reports", json={}, headers=tokens(Role.enterprise, uscc=OTHER)
    )
    assert other.status_code == 201, other.text
    await sign_in(client, provider, "dairy")
    page = await client.get("/console/reports")
    assert page.status_code == 200 and "出具信用报告" in page.text
    issued = await client.post("/console/reports", data={"csrf": csrf_of(page.text), "language": "en"})
    assert issued.status_code == 303, issued.text
    shown = (await client.get(issued.headers["location"])).text
    assert "信用报告已出具" in shown and 'id="report-status">有效<' in shown
    number = issued.headers["location"].split("/")[-1].split("?")[0]
    assert number.startswith("CR-") and DAIRY in number
    pdf = await client.get(f"/console/reports/{number}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and number in pdf.headers["content-disposition"]
    check = (await client.get(f"/v1/credit-reports/{number}")).json()
    assert check["genuine"] and check["uscc"] == DAIRY
    audit = (await client.get("/v1/audit", params={"uscc": DAIRY}, headers=tokens(Role.regulator))).json()
    [entry] = [e for e in audit["items"] if number in str(e)]
    assert entry["actor"].startswith("enterprise:")

    # Another enterprise's report: neither its page nor its PDF.
    theirs = other.json()["number"]
    assert (await client.get(f"/console/reports/{theirs}")).status_code == 403
    assert (await client.get(f"/console/reports/{theirs}/pdf")).status_code == 403
    assert (await client.get("/console/reports/CR-20261201-NOPE")).status_code == 404
    forged = await client.post("/console/reports", data={"language": "zh"})
    assert forged.status_code == 403
    # A regulator has no enterprise report page; an enterprise no registration form.
    assert (await client.post("/console/enterprises", data={"csrf": csrf_of(page.text)})).status_code == 403
    await sign_in(client, provider, "wang")
    assert (await client.get("/console/reports")).status_code == 403
