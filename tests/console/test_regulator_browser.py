"""The regulator's daily work in headless Chromium against a real `qcr serve registry` process,
signed in through the OpenID Connect flow at the test provider, every step clicked and typed: the
black list from proposal to listing and revocation (the next level's consent, the notice, the
enterprise's statement answered), a red-list entry removed, a repair application accepted and
decided, a double-random plan made, approved and drawn with a task's results recorded, and a
standards spot check drawn with a finding on the declaration it picked.

Screenshots go to test-artifacts/screenshots/console-*.png (the path is printed).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from tests.console.test_console_browser import SCREENSHOTS, phone_page, sign_in_at_provider, signed_in_at
from tests.console.test_registry_console import DAIRY, OTHER
from tests.oidc_provider import Provider
from tests.portal.seed import blacklist
from tests.portal.test_browser import CHROMIUM_ARGS, chromium
from tests.registry.test_lists import repair_body
from tests.registry.test_standards import standard_body
from tests.support import Backend, Tokens, code, running

pytestmark = pytest.mark.slow

REPAIRED = code(703)  # listed over a year ago, applies for credit repair


async def _listed_a_year_ago(settings: RegistrySettings, tokens: Tokens) -> None:
    """An entry listed 400 days ago (in-process, its own clock), and its repair application now."""
    now = datetime.now(UTC)
    clock = FrozenClock(now - timedelta(days=400))
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        made = await client.post(
            "/v1/enterprises",
            json={"uscc": REPAIRED, "name": "南宁市示例电器有限公司"},
            headers=tokens(Role.regulator),
        )
        assert made.status_code == 201, made.text
        entry = await blacklist(client, tokens, clock, REPAIRED, decided_at=clock.now().isoformat())
        clock.set(now - timedelta(hours=1))
        filed = await client.post(
            f"/v1/list-entries/{entry['id']}/repair-applications",
            json=repair_body(),
            headers=tokens(Role.enterprise, uscc=REPAIRED),
        )
        assert filed.status_code == 201, filed.text


def seed(url: str, tokens: Tokens) -> str:
    """Two enterprises, two inspectors, a published declaration of the dairy; its id."""
    reg = tokens(Role.regulator)
    with httpx.Client(base_url=url, timeout=10) as api:
        for uscc, name in ((DAIRY, "南宁市示例乳业有限公司"), (OTHER, "南宁市示例食品有限公司")):
            made = api.post("/v1/enterprises", json={"uscc": uscc, "name": name}, headers=reg)
            assert made.status_code == 201, made.text
        for n in range(2):
            made = api.post(
                "/v1/inspectors",
                json={"name": f"检查员{n}", "badge_no": f"RB-{n}", "region": "45", "specialties": []},
                headers=reg,
            )
            assert made.status_code == 201, made.text
        declared = api.post(
            f"/v1/enterprises/{DAIRY}/standards",
            json=standard_body(),
            headers=tokens(Role.enterprise, uscc=DAIRY),
        )
        assert declared.status_code == 201, declared.text
        return str(declared.json()["id"])


def _state(url: str, tokens: Tokens, uscc: str) -> list[dict]:
    with httpx.Client(base_url=url, timeout=10) as api:
        found = api.get(f"/v1/enterprises/{uscc}/list-entries", headers=tokens(Role.regulator))
        assert found.status_code == 200, found.text
        return list(found.json()["items"])


def test_a_regulator_works_the_lists_repairs_plans_and_spot_checks_in_the_browser(
    live_registry: str,
    provider: Provider,
    tokens: Tokens,
    backend: Backend,
    registry_settings: RegistrySettings,
) -> None:
    from playwright.sync_api import sync_playwright

    url = live_registry
    standard_id = seed(url, tokens)
    asyncio.run(_listed_a_year_ago(registry_settings, tokens))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"console screenshots: {SCREENSHOTS}/console-{backend.name}-regulator-*.png")
    problems: list[str] = []

    def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
        page.screenshot(
            path=str(SCREENSHOTS / f"console-{backend.name}-regulator-{name}.png"), full_page=True
        )

    def act(page, decision_no: str, action: str, note: str = "", consent: str = "") -> None:  # type: ignore[no-untyped-def]
        panel = page.locator(".entry").filter(has_text=decision_no)
        panel.get_by_label("操作").select_option(action)
        if note:
            panel.get_by_label("理由或说明").fill(note)
        if consent:
            panel.get_by_label("同意列入的上一级", exact=False).fill(consent)
        panel.get_by_role("button", name="办理").click()
        assert page.locator("#done").inner_text() == "名单记录已办理。"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                locale="zh-CN", viewport={"width": 1280, "height": 900}, java_script_enabled=False
            )
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(url + "/console/")
            page.get_by_role("link", name="使用统一身份认证登录").click()
            sign_in_at_provider(page, "wang")
            page.wait_for_url(url + "/console/")

            # The black list: proposed by a city bureau, the province's consent, the notice served.
            page.goto(url + f"/console/enterprises/{DAIRY}")
            page.locator("#list").select_option("black")
            page.locator("#p-reason").fill("生产销售不合格乳制品，经责令改正拒不改正，情节严重")
            page.locator("#p-basis").fill("《市场监督管理严重违法失信名单管理办法》第二条")
            page.locator("#p-decision").fill("南市监罚〔2026〕201号")
            page.locator("#p-authority").fill("南宁市市场监督管理局")
            page.locator("#p-division").fill("450100")
            page.get_by_role("button", name="拟列入").click()
            assert page.locator("#done").inner_text() == "已拟列入名单。"
            shot(page, "list-proposed")
            act(page, "201号", "record_consent", consent="广西壮族自治区市场监督管理局")
            act(page, "201号", "serve_notice", "告知书已送达")
            [entry] = [e for e in _state(url, tokens, DAIRY) if e["decision_no"] == "南市监罚〔2026〕201号"]
            assert entry["status"] == "notice_served"
            with httpx.Client(base_url=url, timeout=10) as api:  # the enterprise states its case
                stated = api.post(
                    f"/v1/list-entries/{entry['id']}/statements",
                    json={"text": "我司对检验结论无异议，已召回产品。", "hearing_requested": False},
                    headers=tokens(Role.enterprise, uscc=DAIRY),
                )
                assert stated.status_code == 201, stated.text
            page.reload()
            panel = page.locator(".entry").filter(has_text="201号")
            panel.get_by_label("答复").fill("陈述已阅，不改变列入意见。")
            panel.get_by_role("button", name="答复").click()
            assert page.locator("#done").inner_text() == "已答复陈述申辩。"
            act(page, "201号", "decide", "经集体讨论决定列入")
            act(page, "201号", "list", "依法公示")
            assert "已公示" in page.locator(".entry").filter(has_text="201号").inner_text()
            shot(page, "list-listed")
            act(page, "201号", "revoke", "行政复议撤销原处罚决定")
            assert "已移出" in page.locator(".entry").filter(has_text="201号").inner_text()
            # The red list: listed when proposed, removed with reasons.
            page.goto(url + f"/console/enterprises/{OTHER}")
            page.locator("#list").select_option("red")
            page.locator("#p-reason").fill("获自治区主席质量奖，连续三年无不良记录")
            page.locator("#p-basis").fill("守信激励措施清单")
            page.locator("#p-decision").fill("桂质奖〔2026〕9号")
            page.locator("#p-authority").fill("广西壮族自治区市场监督管理局")
            page.get_by_role("button", name="拟列入").click()
            assert "已公示" in page.locator(".entry").filter(has_text="9号").inner_text()
            act(page, "9号", "remove", "企业发生质量事故，不再符合条件")
            assert "已移出" in page.locator(".entry").filter(has_text="9号").inner_text()
            assert {e["status"] for e in _state(url, tokens, OTHER)} == {"removed"}

            # A repair application: accepted, then decided.
            page.get_by_role("link", name="信用修复申请").click()
            application = page.locator(".application").filter(has_text=REPAIRED)
            shot(page, "repairs")
            application.get_by_role("button", name="受理", exact=True).click()
            assert page.locator("#done").inner_text() == "已办理。"
            application = page.locator(".application").filter(has_text=REPAIRED)
            application.get_by_label("理由").fill("整改到位，符合提前移出条件")
            application.get_by_role("button", name="准予修复").click()
            assert page.locator("#done").inner_text() == "已办理。"
            assert page.locator(".application").filter(has_text=REPAIRED).count() == 0
            assert {e["status"] for e in _state(url, tokens, REPAIRED)} == {"removed"}

            # A double-random plan from the form: a refusal on the form first, then saved.
            page.get_by_role("link", name="双随机抽查计划").click()
            page.get_by_role("link", name="新建双随机抽查计划").click()
            page.locator("#pl-title").fill("2026年12月双随机抽查")
            page.locator("#pl-authority").fill("南宁市市场监督管理局")
            page.locator("#pl-start").fill("2026-12-31")
            page.locator("#pl-end").fill("2026-12-01")
            for cls in "ABCD":
                page.locator(f"#pl-ratio-{cls}").fill("1")
            for box in page.locator("input[name=inspector_pool]").all():
                box.check()
            page.get_by_role("button", name="保存计划草案").click()
            assert "period_end" in page.locator("#form-error").inner_text()
            assert [p for p in problems if "422" not in p] == []  # the refusal's own status, expected
            problems.clear()
            shot(page, "plan-refused")
            page.locator("#pl-start").fill("2026-12-01")
            page.locator("#pl-end").fill("2026-12-31")
            page.get_by_role("button", name="保存计划草案").click()
            assert page.locator("#done").inner_text() == "计划草案已保存。"
            page.get_by_role("button", name="批准计划").click()
            assert page.locator("#plan-status").inner_text() == "已批准"
            page.get_by_role("button", name="随机抽取").click()
            assert page.locator("#plan-status").inner_text() == "已抽取"
            assert len(page.locator("#seed").inner_text()) >= 32
            page.get_by_text("候选对象（", exact=False).click()
            assert DAIRY in page.locator("#candidates").inner_text()
            shot(page, "plan-drawn")
            page.locator("#tasks").get_by_role("link", name=DAIRY).click()
            assert page.locator("#task-status").inner_text() == "已分派"
            page.get_by_label("步骤").select_option("sampled")
            page.get_by_label("样品编号").fill("NN-2026-1201")
            page.get_by_label("产品名称", exact=False).fill("纯牛奶")
            page.get_by_role("button", name="记录", exact=True).click()
            assert page.locator("#task-status").inner_text() == "已抽样"
            page.get_by_label("步骤").select_option("tested")
            page.get_by_label("结论", exact=True).select_option("pass")
            page.get_by_role("button", name="记录", exact=True).click()
            assert page.locator("#task-status").inner_text() == "已办结"
            assert page.locator("#final-result").inner_text().startswith("合格")
            shot(page, "task-final")

            # A standards spot check: committed, drawn; the finding on the declaration it picked.
            page.get_by_role("link", name="标准抽查").click()
            page.get_by_label("抽取数量").fill("1")
            page.get_by_label("产品（选填）").fill("纯牛奶")
            page.get_by_role("button", name="冻结候选并承诺种子").click()
            assert page.locator("#sample-status").inner_text() == "已承诺，待抽取"
            page.get_by_role("button", name="随机抽取").click()
            assert page.locator("#sample-status").inner_text() == "已抽取"
            shot(page, "sample-drawn")
            page.locator("#chosen a").first.click()
            assert page.url.endswith(f"/console/standards/{standard_id}")
            page.locator("#finding").select_option("non_compliant")
            page.locator("#f-reason").fill("抽查发现蛋白质指标低于国标")
            page.locator("#f-indicators").fill("蛋白质")
            page.locator("#f-reference").fill("南市监检〔2026〕12号")
            page.locator("#f-due").fill((datetime.now(UTC) + timedelta(days=30)).date().isoformat())
            page.locator("#f-basis").select_option(index=1)
            page.get_by_role("button", name="记录监督结论").click()
            assert page.locator("#done").inner_text() == "监督结论已记录。"
            assert page.locator("#supervision").inner_text() == "不符合"
            shot(page, "finding")
            page.get_by_role("link", name="审计链").click()
            assert "完整" in page.locator("#audit-status").inner_text()
            context.close()

            # The new pages in English at a phone's width.
            phone, page = phone_page(browser)
            signed_in_at(page, url, "/console/plans/new", "wang")
            assert page.locator("h1").inner_text() == "New double-random plan"
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            shot(page, "plan-new-phone-en")
            page.get_by_role("link", name="Standards spot checks").click()
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            page.locator("#samples a").first.click()
            assert page.locator("#sample-status").inner_text() == "drawn"
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            shot(page, "sample-phone-en")
            phone.close()
        finally:
            browser.close()
    assert not problems, problems
    with httpx.Client(base_url=url, timeout=10) as api:
        audit = api.get("/v1/audit", params={"limit": 500}, headers=tokens(Role.regulator)).json()["items"]
    steps = [e for e in audit if entry["id"] in str(e) and e["actor"].startswith("regulator:wang")]
    assert len(steps) >= 5, steps  # proposed, consent, notice, reply, decided, listed, revoked
