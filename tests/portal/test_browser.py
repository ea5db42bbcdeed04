"""The portal in headless Chromium against real `qcr serve` processes: what a visitor does, end to end.

Debian's `chromium` driven by Playwright (never `playwright install`). Skipped with a message only
where no Chromium is installed; under CI (`CI` set) a missing Chromium fails the run instead.
Screenshots of the main pages go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.common.db import create_engine
from services.common.roles import Role
from services.complaints.database import load_models as complaints_models
from services.registry.database import load_models as registry_models
from tests.portal.seed import BLACK, CONSENT, INTERNAL_NOTE
from tests.processes import ROOT, free_port, qcr_process, wait_ready
from tests.support import Backend, Tokens, code, event_body, wipe

pytestmark = pytest.mark.slow

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DAIRY = "南宁市示例乳业有限公司"
BAKERY = "南宁市示例食品有限公司"
REPORTER = ("王小明", "13800138000")


def chromium() -> str:
    found = os.environ.get("QCR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "no Chromium installed (apt-get install chromium): the portal's browser tests did not run"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must install it (.ci/run)")
    pytest.skip(message)


class Live:
    """Both services as real processes on loopback, the registry's portal pointing at complaints."""

    def __init__(self, tmp: Path, backend: Backend, keys_dir: Path):
        self.registry_port, self.complaints_port = free_port(), free_port()
        self.registry = f"http://127.0.0.1:{self.registry_port}"
        self.complaints = f"http://127.0.0.1:{self.complaints_port}"
        self.tmp, self.keys_dir = tmp, keys_dir
        self.env = {
            "REGISTRY_ENVIRONMENT": "test",
            "COMPLAINTS_ENVIRONMENT": "test",
            "REGISTRY_DATABASE_URL": backend.registry_url,
            "COMPLAINTS_DATABASE_URL": backend.complaints_url,
            "REGISTRY_DATA_DIR": str(keys_dir),
            "COMPLAINTS_DATA_DIR": str(keys_dir),
            "REGISTRY_COMPLAINTS_URL": self.complaints,
        }

    def serve(self, service: str, port: int, *extra: str):  # type: ignore[no-untyped-def]
        return qcr_process(
            "serve",
            service,
            "--port",
            str(port),
            "--data-dir",
            str(self.keys_dir),
            *extra,
            env=self.env,
            log=self.tmp / f"{service}.log",
        )


@pytest.fixture
def live(tmp_path: Path, backend: Backend, keys_dir: Path) -> Iterator[Live]:
    chromium()
    services = Live(tmp_path, backend, keys_dir)
    with (
        services.serve("complaints", services.complaints_port, "--registry-url", services.registry) as c,
        services.serve("registry", services.registry_port) as r,
    ):
        wait_ready(services.complaints, c)
        wait_ready(services.registry, r)
        yield services

    async def clean() -> None:
        for url, models in (
            (backend.registry_url, registry_models),
            (backend.complaints_url, complaints_models),
        ):
            engine = create_engine(url)
            await wipe(engine, models())
            await engine.dispose()

    asyncio.run(clean())


def _ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return dict(response.json())


def seed(live: Live, tokens: Tokens) -> tuple[str, str]:
    """A dairy graded C by a severe failed spot check and on the black list; a clean bakery."""
    dairy, bakery = code(701), code(702)
    reg = tokens(Role.regulator)
    with httpx.Client(base_url=live.registry, timeout=10) as api:
        for uscc, name in ((dairy, DAIRY), (bakery, BAKERY)):
            _ok(api.post("/v1/enterprises", json={"uscc": uscc, "name": name}, headers=reg), 201)
        _ok(api.post(f"/v1/enterprises/{dairy}/credit-events", json=event_body(), headers=reg), 201)
        entry = _ok(api.post("/v1/list-entries", json={**BLACK, "uscc": dairy}, headers=reg), 201)
        steps = f"/v1/list-entries/{entry['id']}"
        serve = {"action": "serve_notice", "note": INTERNAL_NOTE}
        _ok(api.post(f"{steps}/transitions", json=serve, headers=reg))
        _ok(api.post(f"{steps}/transitions", json=CONSENT, headers=reg))
        # The enterprise states its case and the regulator answers: listing need not wait for the deadline.
        statement = _ok(
            api.post(
                f"{steps}/statements",
                json={"text": "我司已召回全部产品", "hearing_requested": False},
                headers=tokens(Role.enterprise, uscc=dairy),
            ),
            201,
        )
        _ok(
            api.post(
                f"{steps}/statements/{statement['id']}/reply",
                json={"reply": "召回不影响违法事实的认定"},
                headers=reg,
            )
        )
        listed = _ok(api.post(f"{steps}/transitions", json={"action": "list"}, headers=reg))
        assert listed["status"] == "listed"
    return dairy, bakery


def test_a_visitor_finds_an_enterprise_sees_its_grade_and_list_entry_and_files_a_complaint(
    live: Live, tokens: Tokens, backend: Backend
) -> None:
    from playwright.sync_api import sync_playwright

    dairy, _ = seed(live, tokens)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
        page.screenshot(path=str(SCREENSHOTS / f"{backend.name}-{name}.png"), full_page=True)

    def watch(page) -> None:  # type: ignore[no-untyped-def]
        # A CSP violation or a failed sub-resource shows up here.
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            # Chinese first, and no JavaScript at all: every step is a plain link or form.
            visitor = browser.new_context(
                locale="zh-CN", viewport={"width": 1280, "height": 900}, java_script_enabled=False
            )
            page = visitor.new_page()
            watch(page)
            page.goto(live.registry + "/")
            assert page.locator("html").get_attribute("lang") == "zh-CN"
            assert page.locator("h1").inner_text() == "查询企业质量信用"
            shot(page, "home")

            # Search a code (typed in lower case): straight to the enterprise.
            page.get_by_label("统一社会信用代码或企业名称").fill(dairy.lower())
            page.get_by_role("button", name="查询").click()
            page.wait_for_url(f"**/enterprises/{dairy}")
            assert page.locator("h1").inner_text() == DAIRY
            assert page.locator("#grade").inner_text().strip().endswith("C")
            assert "C类（信用风险较高）" in page.locator("#grade-heading + .grade-line").inner_text()
            explanation = page.locator(".explanation").inner_text()
            assert "得分 70 分" in explanation and "信用等级 C" in explanation
            entry = page.locator("article.entry.black")
            assert entry.count() == 1
            entry_text = entry.inner_text()
            for value in (BLACK["reason"], BLACK["authority"], BLACK["decision_no"]):
                assert value in entry_text
            assert page.locator("svg.chart circle").count() == 2
            assert INTERNAL_NOTE not in page.content()
            shot(page, "enterprise")

            # Search by part of the Chinese name, open the enterprise from the results.
            page.goto(live.registry + "/")
            page.get_by_label("统一社会信用代码或企业名称").fill("示例")
            page.get_by_role("button", name="查询").click()
            results = page.locator("ul.results li")
            assert results.count() == 2
            assert "严重违法失信名单" in results.filter(has_text=DAIRY).inner_text()
            shot(page, "search")
            page.get_by_role("link", name=DAIRY).click()
            page.wait_for_url(f"**/enterprises/{dairy}")

            # File a complaint from the enterprise's page and see the tracking code.
            page.get_by_role("link", name="投诉或举报该企业").click()
            assert page.get_by_label("被投诉举报企业的统一社会信用代码").input_value() == dairy
            assert page.get_by_label("被投诉举报企业名称", exact=True).input_value() == DAIRY
            page.get_by_label("投诉（本人消费纠纷）").check()
            page.get_by_label("问题类别").select_option("食品安全")
            page.get_by_label("涉及的产品或服务（选填）").fill("鲜牛奶")
            page.get_by_label("情况描述").fill("购买的鲜牛奶在保质期内变质，商家拒绝退换。")
            page.get_by_label("姓名").fill(REPORTER[0])
            page.get_by_label("电话").fill(REPORTER[1])
            shot(page, "complaint-form")
            page.get_by_role("button", name="提交").click()
            assert page.locator("h1").inner_text() == "已提交"
            tracking_code = page.locator("#tracking-code").inner_text().strip()
            assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", tracking_code)
            for secret in REPORTER:
                assert secret not in page.content()
            shot(page, "complaint-filed")

            # Track it: from the link on the confirmation, then by typing the code in the form.
            page.get_by_role("link", name="查看办理进度").click()
            assert page.locator("#case-status").inner_text() == "已接收"
            assert tracking_code in page.locator("#case-heading").inner_text()
            for secret in REPORTER:
                assert secret not in page.content()
            shot(page, "tracking")
            page.goto(live.registry + "/track")
            page.get_by_label("查询码").fill(tracking_code.lower())
            page.get_by_role("button", name="查询").click()
            assert page.locator("#case-status").inner_text() == "已接收"

            # The public black list.
            page.goto(live.registry + "/lists/black")
            row = page.locator("table.list-table tbody tr")
            assert row.count() == 1
            assert DAIRY in row.inner_text() and BLACK["reason"] in row.inner_text()
            shot(page, "black-list")
            visitor.close()

            # English, at a phone's width: nothing wider than the screen.
            phone = browser.new_context(locale="en-US", viewport={"width": 375, "height": 812})
            page = phone.new_page()
            watch(page)
            page.goto(f"{live.registry}/enterprises/{dairy}")
            assert page.locator("html").get_attribute("lang") == "en"
            assert page.get_by_role("heading", name="Credit grade").count() == 1
            assert "Black list (serious dishonesty)" in page.locator("article.entry").inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            shot(page, "enterprise-phone-en")
            page.goto(f"{live.registry}/complaints/new")
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            shot(page, "complaint-form-phone-en")
            phone.close()
        finally:
            browser.close()
    assert not problems, problems

    # The complaint reached the complaints service, with the reporter kept there.
    with httpx.Client(base_url=live.complaints, timeout=10) as api:
        tracked = _ok(api.get(f"/v1/complaints/track/{tracking_code}"))
        assert tracked["status"] == "received" and tracked["channel"] == "web"
        [case] = _ok(api.get("/v1/complaints", headers=tokens(Role.handler)))["items"]
        assert case["target_uscc"] == dairy
