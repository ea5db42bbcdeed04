"""The handler console in headless Chromium against a real `qcr serve complaints` process, signing
in through the OpenID Connect flow at the test provider: every step is clicked and typed.

Screenshots go to test-artifacts/screenshots/console-*.png (the path is printed).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.complaints.database import load_models as complaints_models
from tests.console_support import live_console
from tests.oidc_provider import Provider
from tests.portal.test_browser import CHROMIUM_ARGS, chromium
from tests.processes import ROOT
from tests.support import Backend, code, complaint_body

pytestmark = pytest.mark.slow

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture
def live_complaints(tmp_path: Path, backend: Backend, keys_dir: Path, provider: Provider) -> Iterator[str]:
    chromium()
    with live_console(
        "complaints",
        database_url=backend.complaints_url,
        models=complaints_models,
        provider=provider,
        keys_dir=keys_dir,
        log=tmp_path / "complaints.log",
        env={"COMPLAINTS_DISPATCH_ENABLED": "false"},
    ) as url:
        yield url


def _file(url: str, **over: object) -> dict:
    answer = httpx.post(url + "/v1/complaints", json=complaint_body(**over), timeout=10)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def sign_in_at_provider(page, username: str) -> None:  # type: ignore[no-untyped-def]
    """On the provider's own page: pick the person, type the password, press the button."""
    page.get_by_label(username, exact=True).check()
    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Sign in at the provider").click()


def signed_in_at(page, url: str, path: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """Open a console page, follow its sign-in link through the provider and land back on it."""
    page.goto(url + path)
    page.get_by_role("link", name="Sign in with the department's identity provider").click()
    sign_in_at_provider(page, username)
    page.wait_for_url(url + path)


def phone_page(browser):  # type: ignore[no-untyped-def]
    """A browser context in English at a phone's width (375 px), and a page in it."""
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 812})
    return context, context.new_page()


def test_a_handler_signs_in_works_a_case_and_reads_the_statistics(
    live_complaints: str, provider: Provider, backend: Backend
) -> None:
    from playwright.sync_api import sync_playwright

    url = live_complaints
    milk = _file(url)
    _file(url, channel="web", category="measurement", description="电子秤缺斤短两，商家拒不承认。")
    report = _file(url, kind="report", target_uscc=code(3), description="仓库内有大量过期奶粉。")
    _file(
        url,
        kind="report",
        target_uscc=code(3),
        description="该厂使用过期原料生产。",
        reporter={"name": "赵六", "phone": "13900000001"},
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"console screenshots: {SCREENSHOTS}/console-{backend.name}-*.png")
    problems: list[str] = []

    def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
        page.screenshot(path=str(SCREENSHOTS / f"console-{backend.name}-{name}.png"), full_page=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            desk = browser.new_context(
                locale="zh-CN", viewport={"width": 1280, "height": 900}, java_script_enabled=False
            )
            page = desk.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(url + "/console/")
            assert page.locator("h1").inner_text() == "工作台登录"
            shot(page, "login")
            page.get_by_role("link", name="使用统一身份认证登录").click()
            assert page.locator("h1").inner_text() == "Test identity provider"
            sign_in_at_provider(page, "zhang")
            page.wait_for_url(url + "/console/")
            assert "张处理" in page.locator("#signed-in-as").inner_text()
            assert page.locator("tr.case").count() == 4
            shot(page, "handler-queue")

            # Filter: web channel only, then food safety only.
            page.get_by_label("渠道").select_option(label="网上")
            page.get_by_role("button", name="筛选").click()
            assert page.locator("tr.case").count() == 1
            page.get_by_label("渠道").select_option(label="全部")
            page.get_by_label("类别").select_option(label="食品安全")
            page.get_by_role("button", name="筛选").click()
            assert page.locator("tr.case").count() == 3
            page.get_by_label("本周到期").check()
            page.get_by_role("button", name="筛选").click()
            shot(page, "handler-queue-filtered")

            # The milk case: the reporter, then accept, investigate, pause, resume, substantiate.
            page.goto(f"{url}/console/cases/{milk['id']}")
            assert "13800138000" in page.locator("#reporter").inner_text()

            def act(label: str, note: str = "", severity: str = "") -> None:
                page.get_by_label("操作").select_option(label=label)
                if note:
                    page.get_by_label("办理意见（内部）").fill(note)
                if severity:
                    page.get_by_label("认定的违法程度（认定属实时必填）").select_option(label=severity)
                page.get_by_role("button", name="提交").click()
                assert page.locator("#done").is_visible(), page.content()

            act("受理", "材料齐全，予以受理")
            assert page.locator("#case-status").inner_text() == "已受理"
            act("开始调查")
            act("暂停计时（检验、检测、鉴定）", "样品送检")
            assert page.locator("#paused-since").is_visible()
            shot(page, "handler-case-paused")
            act("恢复计时")
            page.get_by_label("操作").select_option(label="认定属实")
            page.get_by_role("button", name="提交").click()
            assert page.locator("#refusal").is_visible()  # a finding is needed: the service says so
            problems.remove(
                "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
            )
            act("认定属实", "抽检不合格", severity="严重")
            assert page.locator("#case-status").inner_text() == "查证属实"
            timeline = page.locator("#timeline").inner_text()
            assert "样品送检" in timeline and "handler:zhang" in timeline
            shot(page, "handler-case")

            # The report and its linked duplicate.
            page.goto(f"{url}/console/cases/{report['id']}")
            page.locator("#duplicates a").first.click()
            assert "本件为下列案件的重复件" in page.locator("#duplicates").inner_text()

            page.get_by_role("link", name="统计").click()
            assert page.locator("svg.chart line.target").count() == 1
            shot(page, "handler-stats")

            page.get_by_role("button", name="退出登录").click()
            page.wait_for_url(url + "/console/signed-out")
            assert page.locator("h1").inner_text() == "已退出登录"
            assert provider.ended and provider.ended[-1].get("id_token_hint")
            page.goto(url + "/console/")
            assert page.locator("h1").inner_text() == "工作台登录"
            desk.close()

            # English at a phone's width: nothing wider than the screen.
            phone, page = phone_page(browser)
            signed_in_at(page, url, "/console/", "li")
            assert page.locator("h1").inner_text() == "Case queue"
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            shot(page, "handler-queue-phone-en")
            page.goto(f"{url}/console/cases/{milk['id']}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            shot(page, "handler-case-phone-en")
            phone.close()
        finally:
            browser.close()
    assert not problems, problems
