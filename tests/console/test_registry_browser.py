"""The enterprise's and the regulator's consoles in headless Chromium against a real
`qcr serve registry` process, signing in through the OpenID Connect flow at the test provider.

Screenshots go to test-artifacts/screenshots/console-*.png (the path is printed).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from services.common.roles import Role
from tests.console.test_console_browser import SCREENSHOTS, phone_page, sign_in_at_provider, signed_in_at
from tests.console.test_registry_console import DAIRY, INDICATORS, OTHER
from tests.console.test_regulator_admin_console import PILOT
from tests.oidc_provider import Provider
from tests.portal.seed import BLACK
from tests.portal.test_browser import CHROMIUM_ARGS, chromium
from tests.registry.test_standards import PDF
from tests.support import Backend, Tokens, event_body

pytestmark = pytest.mark.slow


def seed(url: str, tokens: Tokens) -> str:
    reg = tokens(Role.regulator)
    with httpx.Client(base_url=url, timeout=10) as api:
        for uscc, name in ((DAIRY, "南宁市示例乳业有限公司"), (OTHER, "南宁市示例食品有限公司")):
            assert (
                api.post("/v1/enterprises", json={"uscc": uscc, "name": name}, headers=reg).status_code == 201
            )
        assert (
            api.post(f"/v1/enterprises/{DAIRY}/credit-events", json=event_body(), headers=reg).status_code
            == 201
        )
        entry = api.post("/v1/list-entries", json={**BLACK, "uscc": DAIRY}, headers=reg).json()
        served = api.post(
            f"/v1/list-entries/{entry['id']}/transitions", json={"action": "serve_notice"}, headers=reg
        )
        assert served.status_code == 200, served.text
        for n in range(2):  # inspectors, and three substantiated complaints: a warning
            made = api.post(
                "/v1/inspectors",
                json={"name": f"检查员{n}", "badge_no": f"NN-{n}", "region": "45", "specialties": []},
                headers=reg,
            )
            assert made.status_code == 201, made.text
        for k in range(3):
            fed = api.post(
                f"/v1/enterprises/{OTHER}/credit-events",
                json=event_body(f"complaint-browser-{k}", kind="complaint_substantiated", severity="minor"),
                headers=tokens(Role.service),
            )
            assert fed.status_code == 201, fed.text
        assert api.post("/v1/signal-runs", headers=reg).json()["raised"] == 1
        return str(entry["id"])


def test_an_enterprise_and_a_regulator_do_their_work_in_the_browser(
    live_registry: str, provider: Provider, tokens: Tokens, backend: Backend, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    url = live_registry
    seed(url, tokens)
    pdf = tmp_path / "企业标准.pdf"
    pdf.write_bytes(PDF)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"console screenshots: {SCREENSHOTS}/console-{backend.name}-*.png")
    problems: list[str] = []

    def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
        page.screenshot(path=str(SCREENSHOTS / f"console-{backend.name}-{name}.png"), full_page=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                locale="zh-CN", viewport={"width": 1280, "height": 900}, java_script_enabled=False
            )
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

            # The enterprise: its credit file, then a declaration with its PDF, then its statement.
            page.goto(url + "/console/")
            page.get_by_role("link", name="使用统一身份认证登录").click()
            sign_in_at_provider(page, "dairy")
            page.wait_for_url(url + "/console/")
            assert page.locator("#grade").inner_text() == "C"
            shot(page, "enterprise-home")
            page.get_by_role("link", name="企业标准自我声明").click()
            page.get_by_role("link", name="声明新标准").click()
            page.get_by_label("标准编号").fill("Q/NNSP 0001S-2026")
            page.get_by_label("标准名称").fill("全脂灭菌纯牛奶")
            page.get_by_label("适用产品或服务（每行一个）").fill("全脂纯牛奶\n纯牛奶")
            page.get_by_label("技术指标", exact=False).fill(INDICATORS)
            page.get_by_label("实施日期").fill("2026-12-01")
            page.get_by_label("标准文本（PDF", exact=False).set_input_files(str(pdf))
            shot(page, "enterprise-declare")
            page.get_by_role("button", name="公开声明").click()
            assert page.locator("#declaration-status").inner_text() == "已公开"
            assert page.locator("#document-sha256").is_visible()
            shot(page, "enterprise-declaration")
            page.get_by_label("废止理由").fill("产品停产")
            page.get_by_role("button", name="废止").click()
            assert page.locator("#declaration-status").inner_text() == "已废止"

            page.get_by_role("link", name="告知与信用修复").click()
            page.locator("#entries a").first.click()
            page.get_by_label("陈述申辩意见").fill("我司已召回全部产品，并完成整改。")
            page.get_by_label("要求举行听证").check()
            page.get_by_role("button", name="提交陈述申辩").click()
            assert page.locator("#done").inner_text() == "陈述申辩已提交。"
            assert "我司已召回全部产品" in page.locator("#statements").inner_text()
            shot(page, "enterprise-notice")
            page.get_by_role("link", name="查询记录").click()
            assert page.locator("h1").inner_text() == "谁查询了本企业"
            # Its credit report: issued in English, then the PDF downloaded.
            page.get_by_role("link", name="信用报告").click()
            page.get_by_label("报告语言").select_option("en")
            page.get_by_role("button", name="出具信用报告").click()
            assert page.locator("#done").inner_text() == "信用报告已出具。"
            number = page.locator("#report-number").inner_text()
            shot(page, "enterprise-report")
            with page.expect_download() as downloading:
                page.locator("#report-pdf").click()
            saved = tmp_path / "report.pdf"
            downloading.value.save_as(saved)
            assert downloading.value.suggested_filename == f"{number}.pdf"
            assert saved.read_bytes().startswith(b"%PDF")
            page.get_by_role("button", name="退出登录").click()
            page.wait_for_url(url + "/console/signed-out")

            # The regulator: what is due, the enterprise, a credit event recorded and revoked, the audit.
            page.goto(url + "/console/")
            page.get_by_role("link", name="使用统一身份认证登录").click()
            sign_in_at_provider(page, "wang")
            page.wait_for_url(url + "/console/")
            assert page.locator("h1").inner_text() == "待办事项"
            shot(page, "regulator-home")
            # A pilot code registered with the reason for overriding its check, then edited.
            page.get_by_role("link", name="企业", exact=True).click()
            page.get_by_label("统一社会信用代码（18位）").fill(PILOT)
            page.get_by_label("企业名称", exact=True).last.fill("试点企业")
            page.get_by_label("校验位不符仍予登记的理由", exact=False).fill("2015年试点赋码，经省局核实")
            shot(page, "regulator-register")
            page.get_by_role("button", name="登记", exact=True).click()
            assert page.locator("#done").inner_text() == "企业已登记。"
            assert page.locator("#override-reason").inner_text() == "2015年试点赋码，经省局核实"
            page.get_by_label("住所").fill("福州市鼓楼区")
            page.get_by_role("button", name="保存").click()
            assert page.locator("#done").inner_text() == "企业信息已保存。"
            assert page.locator("#address").inner_text() == "福州市鼓楼区"
            shot(page, "regulator-enterprise-edited")
            page.get_by_role("link", name="企业", exact=True).click()
            page.get_by_label("企业名称").first.fill("乳业")
            page.get_by_role("button", name="查询").click()
            page.get_by_role("link", name="南宁市示例乳业有限公司").click()
            page.get_by_label("认定机关").fill("南宁市市场监督管理局")
            page.get_by_label("文书编号", exact=True).fill("南市监抽〔2026〕7号")
            page.get_by_label("发生日期").fill("2026-11-10")
            page.get_by_role("button", name="记录信用事件").click()
            assert page.locator("#done").inner_text() == "信用事件已记录。"
            row = page.locator("#events tr").filter(has_text="南市监抽〔2026〕7号")
            row.get_by_label("撤销理由").fill("复议撤销")
            row.get_by_role("button", name="撤销").click()
            assert page.locator("#done").inner_text() == "信用事件已撤销。"
            shot(page, "regulator-enterprise")
            # The warning: assessed, then turned into a directed plan, approved and drawn.
            page.get_by_role("link", name="风险预警").click()
            page.locator("#warnings a").first.click()
            page.get_by_label("操作").select_option("assess")
            page.get_by_label("理由或说明").fill("投诉集中，需定向抽查")
            page.get_by_role("button", name="办理").click()
            assert page.locator("#done").inner_text() == "已研判。"
            page.locator("#d-authority").fill("南宁市市场监督管理局")
            for box in page.get_by_role("checkbox").all():
                box.check()
            page.get_by_role("button", name="生成定向抽查计划").click()
            assert page.locator("#plan-status").inner_text() == "草案"
            page.get_by_role("button", name="批准计划").click()
            assert page.locator("#plan-status").inner_text() == "已批准"
            page.get_by_role("button", name="随机抽取").click()
            assert page.locator("#plan-status").inner_text() == "已抽取"
            assert OTHER in page.locator("#chosen").inner_text()
            shot(page, "regulator-plan")
            page.get_by_role("link", name="审计链").click()
            assert "完整" in page.locator("#audit-status").inner_text()
            shot(page, "regulator-audit")
            context.close()

            # English at a phone's width.
            phone, page = phone_page(browser)
            signed_in_at(page, url, "/console/", "dairy")
            assert page.locator("h1").inner_text() == "Our quality-credit file"
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            shot(page, "enterprise-home-phone-en")
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(url + "/console/signed-out")
            # The regulator's warnings and plans at a phone's width too.
            signed_in_at(page, url, "/console/warnings", "wang")
            assert page.locator("h1").inner_text() == "Early warnings"
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            shot(page, "regulator-warnings-phone-en")
            page.get_by_role("link", name="Spot-check plans").click()
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            phone.close()
        finally:
            browser.close()
    assert not problems, problems
