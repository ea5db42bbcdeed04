"""A visitor looks up a barcode in headless Chromium, against real `qcr serve` processes."""

from __future__ import annotations

import httpx
import pytest

from services.common.gtin import check_digit
from services.common.roles import Role
from tests.portal.test_browser import CHROMIUM_ARGS, SCREENSHOTS, Live, _ok, chromium, live  # noqa: F401
from tests.support import Backend, Tokens, code, event_body

pytestmark = pytest.mark.slow

DAIRY = "南宁市示例乳业有限公司"
MILK = "690777800001" + str(check_digit("690777800001"))


def seed(services: Live, tokens: Tokens) -> str:
    dairy = code(841)
    reg = tokens(Role.regulator)
    with httpx.Client(base_url=services.registry, timeout=10) as api:
        _ok(api.post("/v1/enterprises", json={"uscc": dairy, "name": DAIRY}, headers=reg), 201)
        prefix = {"prefix": "6907778", "uscc": dairy, "registered_on": "2026-01-01"}
        _ok(api.post("/v1/company-prefixes", json=prefix, headers=reg), 201)
        item = {"gtin": MILK, "name": "纯牛奶 250mL", "brand": "示例"}
        _ok(
            api.post(
                f"/v1/enterprises/{dairy}/products", json=item, headers=tokens(Role.enterprise, uscc=dairy)
            ),
            201,
        )
        failed = event_body("桂市监抽〔2026〕11号", gtin=MILK, batch="20261015A", summary="蛋白质含量不合格")
        _ok(api.post(f"/v1/enterprises/{dairy}/credit-events", json=failed, headers=reg), 201)
    return dairy


def test_a_visitor_looks_up_a_barcode_and_finds_the_failed_product(
    live: Live,  # noqa: F811
    tokens: Tokens,
    backend: Backend,
) -> None:
    from playwright.sync_api import sync_playwright

    dairy = seed(live, tokens)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            visitor = browser.new_context(
                locale="zh-CN", viewport={"width": 1280, "height": 900}, java_script_enabled=False
            )
            page = visitor.new_page()
            page.goto(live.registry + "/")
            # A wrong check digit: the box comes back with the rule named.
            wrong = MILK[:-1] + str((int(MILK[-1]) + 1) % 10)
            page.get_by_role("searchbox", name="查条码").fill(wrong)
            page.get_by_role("button", name="查条码").click()
            assert f"check digit should be {MILK[-1]}" in page.locator("#gtin-error").inner_text()
            # From here on nothing may fail (that 422 is the answer itself, and Chromium logs it).
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            # The right one, typed with spaces as printed under the bars.
            page.get_by_role("searchbox", name="查条码").fill(f"{MILK[0]} {MILK[1:7]} {MILK[7:]}")
            page.get_by_role("button", name="查条码").click()
            page.wait_for_url(f"**/products/{MILK}")
            assert page.locator("#item-name").inner_text() == "纯牛奶 250mL"
            assert page.locator("#holder").inner_text() == DAIRY
            assert page.locator("#grade").inner_text().strip().endswith("C")
            page.screenshot(path=str(SCREENSHOTS / f"{backend.name}-product.png"), full_page=True)
            page.get_by_role("link", name=DAIRY).click()
            page.wait_for_url(f"**/enterprises/{dairy}")

            page.get_by_role("link", name="不合格产品").first.click()
            page.wait_for_url("**/failed-products")
            row = page.locator("#product-events tbody tr")
            assert row.count() == 1
            for value in ("纯牛奶 250mL", MILK, "20261015A", DAIRY, "桂市监抽〔2026〕11号"):
                assert value in row.inner_text()
            page.screenshot(path=str(SCREENSHOTS / f"{backend.name}-failed-products.png"), full_page=True)
            visitor.close()

            phone = browser.new_context(locale="en-US", viewport={"width": 375, "height": 812})
            page = phone.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(f"{live.registry}/products/{MILK}")
            assert page.locator("html").get_attribute("lang") == "en"
            assert page.get_by_role("heading", name="Enterprise responsible for the product").count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            page.goto(f"{live.registry}/recalls")
            assert page.locator("h1").inner_text() == "Defective product recalls"
            phone.close()
        finally:
            browser.close()
    assert not problems, problems
